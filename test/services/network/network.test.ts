import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  chooseFreeAddress,
  dhcpHostXml,
  DhcpHostError,
  NoFreeAddressError,
  parseNetworkXml,
  reportedAddress,
  type DhcpLease,
} from '../../../server/services/network/index.js';
import { formatIpv4, netmaskToPrefix, parseIpv4, prefixToNetmask } from '../../../server/formats/ipv4.js';
import { parseXmlDocument, XmlParseError } from '../../../server/formats/xml/tree.js';

const fixture = readFileSync(new URL('../machines/fixtures/network-vmango-test.xml', import.meta.url), 'utf8');
const now = new Date('2026-01-01T00:00:00Z');
const nowSeconds = now.getTime() / 1000;

function net(ipXml: string, extra = ''): string {
  return `<network><name>n</name>${extra}${ipXml}</network>`;
}

describe('parseNetworkXml', () => {
  it("reads 0.6's network fixture", () => {
    expect(parseNetworkXml(fixture)).toEqual({
      name: 'vmango-test',
      uuid: '8c6f7828-c5bb-4edc-905c-dc69260bf68c',
      forwardMode: 'nat',
      ips: [expect.anything()],
      dhcp: {
        family: 'ipv4',
        address: '192.168.128.1',
        prefix: 24,
        netmask: '255.255.255.0',
        hasDhcp: true,
        ranges: [{ start: '192.168.128.128', end: '192.168.128.250' }],
        hosts: [{ mac: '52:54:00:2e:54:28', name: 'one', ip: '192.168.128.130' }],
      },
    });
  });

  it('reads the bridge, a forward element without mode, and an isolated network', () => {
    const facts = parseNetworkXml("<network><name>x</name><forward/><bridge name='virbr1' stp='on'/></network>");
    expect(facts.bridge).toBe('virbr1');
    expect(facts.forwardMode).toBe('nat');
    expect(facts.dhcp).toBeUndefined();
    expect(parseNetworkXml("<network><name>iso</name><forward mode='bridge'/></network>").forwardMode).toBe('bridge');
    expect(parseNetworkXml('<network><name>iso</name></network>').forwardMode).toBeUndefined();
  });

  it('copes with several <ip> elements and IPv6, choosing the first IPv4 one with DHCP', () => {
    const facts = parseNetworkXml(
      net(
        "<ip family='ipv6' address='fd00::1' prefix='64'><dhcp><range start='fd00::10' end='fd00::20'/></dhcp></ip>" +
          "<ip address='10.0.0.1' prefix='24'/>" +
          "<ip address='10.1.0.1' prefix='16'><dhcp><range start='10.1.0.10' end='10.1.0.20'/><range start='10.1.1.10' end='10.1.1.20'/>" +
          "<host mac='52:54:00:00:00:01' ip='10.1.0.10'/><host name='nameonly' ip='10.1.0.11'/></dhcp></ip>",
      ),
    );
    expect(facts.ips.map((ip) => `${ip.family} ${ip.address}/${ip.prefix}`)).toEqual([
      'ipv6 fd00::1/64',
      'ipv4 10.0.0.1/24',
      'ipv4 10.1.0.1/16',
    ]);
    expect(facts.ips[0]!.netmask).toBeUndefined();
    expect(facts.dhcp?.address).toBe('10.1.0.1');
    expect(facts.dhcp?.netmask).toBe('255.255.0.0');
    expect(facts.dhcp?.ranges).toHaveLength(2);
    expect(facts.dhcp?.hosts).toEqual([
      { mac: '52:54:00:00:00:01', ip: '10.1.0.10' },
      { name: 'nameonly', ip: '10.1.0.11' },
    ]);
  });

  it('rejects malformed XML and other documents clearly', () => {
    expect(() => parseNetworkXml('<network><ip></network>')).toThrow(XmlParseError);
    expect(() => parseNetworkXml('<network><ip></network>')).toThrow(/malformed network XML/);
    expect(() => parseNetworkXml('<pool/>')).toThrow(/network XML must have a <network> root element, got <pool>/);
  });
});

describe('chooseFreeAddress', () => {
  const network = parseNetworkXml(fixture);

  it('skips reserved addresses, as 0.6 did', () => {
    const small = parseNetworkXml(
      net(
        "<ip address='192.168.1.1' netmask='255.255.255.0'><dhcp><range start='192.168.1.10' end='192.168.1.12'/>" +
          "<host mac='52:54:00:00:00:01' name='a' ip='192.168.1.10'/></dhcp></ip>",
      ),
    );
    expect(chooseFreeAddress(small, [], now)).toBe('192.168.1.11');
    expect(chooseFreeAddress(network, [], now)).toBe('192.168.128.128');
  });

  it('skips addresses with a live lease, but not with an expired one', () => {
    const leases: DhcpLease[] = [
      { ip: '192.168.128.128', mac: '52:54:00:aa:aa:01', expiry: nowSeconds + 60 },
      { ip: '192.168.128.129', mac: '52:54:00:aa:aa:02', expiry: 0 },
      { ip: '192.168.128.131', mac: '52:54:00:aa:aa:03', expiry: nowSeconds - 1 },
    ];
    expect(chooseFreeAddress(network, leases, now)).toBe('192.168.128.131');
  });

  it("does not count the new machine's own lease against it", () => {
    const leases: DhcpLease[] = [{ ip: '192.168.128.128', mac: '52:54:00:AA:AA:01', expiry: nowSeconds + 60 }];
    expect(chooseFreeAddress(network, leases, now, { mac: '52:54:00:aa:aa:01' })).toBe('192.168.128.128');
  });

  it("never hands out the network's own, network or broadcast address", () => {
    const wide = parseNetworkXml(
      net("<ip address='10.0.0.1' prefix='30'><dhcp><range start='10.0.0.0' end='10.0.0.3'/></dhcp></ip>"),
    );
    expect(chooseFreeAddress(wide, [], now)).toBe('10.0.0.2');
  });

  it('walks ranges in order', () => {
    const two = parseNetworkXml(
      net(
        "<ip address='10.0.0.1' prefix='16'><dhcp><range start='10.0.5.1' end='10.0.5.1'/><range start='10.0.1.1' end='10.0.1.2'/>" +
          "<host mac='52:54:00:00:00:01' ip='10.0.5.1'/></dhcp></ip>",
      ),
    );
    expect(chooseFreeAddress(two, [], now)).toBe('10.0.1.1');
  });

  it('says how full the range is when nothing is free', () => {
    const full = parseNetworkXml(
      net(
        "<ip address='192.168.1.1' netmask='255.255.255.0'><dhcp><range start='192.168.1.10' end='192.168.1.12'/>" +
          "<host mac='52:54:00:00:00:01' name='a' ip='192.168.1.10'/><host mac='52:54:00:00:00:02' name='b' ip='192.168.1.11'/>" +
          "<host mac='52:54:00:00:00:03' name='c' ip='10.9.9.9'/></dhcp></ip>",
      ),
    );
    const leases: DhcpLease[] = [
      { ip: '192.168.1.12', mac: '52:54:00:00:00:09', expiry: nowSeconds + 10 },
      { ip: '192.168.1.11', mac: '52:54:00:00:00:08', expiry: nowSeconds + 10 },
      { ip: 'fe80::1', mac: '52:54:00:00:00:07', expiry: nowSeconds + 10 },
    ];
    expect(() => chooseFreeAddress(full, leases, now)).toThrow(NoFreeAddressError);
    expect(() => chooseFreeAddress(full, leases, now)).toThrow(
      'no free IP address in network n (range 192.168.1.10–192.168.1.12: 2 reserved, 1 leased)',
    );
  });

  it('explains a network without an IPv4 DHCP range', () => {
    expect(() => chooseFreeAddress(parseNetworkXml(net("<ip address='10.0.0.1' prefix='24'/>")), [], now)).toThrow(
      /network n has no IPv4 DHCP range/,
    );
    expect(() =>
      chooseFreeAddress(
        parseNetworkXml(net("<ip address='10.0.0.1' prefix='24'><dhcp><range start='x' end='y'/></dhcp></ip>")),
        [],
        now,
      ),
    ).toThrow(/network n has no usable IPv4 DHCP range/);
  });
});

describe('dhcpHostXml', () => {
  it("writes 0.6's <host> entry", () => {
    expect(dhcpHostXml({ mac: '52:54:00:01:91:42', name: 'testapi', ip: '192.168.150.10' })).toBe(
      '<host mac="52:54:00:01:91:42" name="testapi" ip="192.168.150.10"/>',
    );
  });

  it('escapes the name so it cannot change the element', () => {
    const xml = dhcpHostXml({ mac: '52:54:00:01:91:42', name: `a"/><host ip='1.2.3.4' x="&`, ip: '10.0.0.2' });
    const host = parseXmlDocument(xml, 'host');
    expect(host.children).toHaveLength(0);
    expect(host.attributes).toEqual({ mac: '52:54:00:01:91:42', name: `a"/><host ip='1.2.3.4' x="&`, ip: '10.0.0.2' });
  });

  it('refuses a bad MAC, IP or name', () => {
    expect(() => dhcpHostXml({ mac: '52:54:00:01:91', name: 'a', ip: '10.0.0.2' })).toThrow(DhcpHostError);
    expect(() => dhcpHostXml({ mac: '52:54:00:01:91', name: 'a', ip: '10.0.0.2' })).toThrow(
      /MAC address "52:54:00:01:91" is not six colon-separated hex pairs/,
    );
    expect(() => dhcpHostXml({ mac: '52:54:00:01:91:42', name: 'a', ip: '10.0.0.256' })).toThrow(
      /IP address "10.0.0.256" is not a dotted-quad IPv4 address/,
    );
    expect(() => dhcpHostXml({ mac: '52:54:00:01:91:42', name: '', ip: '10.0.0.2' })).toThrow(/name is empty/);
  });
});

describe('reportedAddress', () => {
  const network = parseNetworkXml(fixture);
  const mac = '52:54:00:2e:54:28';

  it("prefers the guest's live lease, the newest one", () => {
    const leases: DhcpLease[] = [
      { ip: '192.168.128.200', mac: mac.toUpperCase(), expiry: nowSeconds + 10 },
      { ip: '192.168.128.201', mac, expiry: nowSeconds + 100 },
      { ip: '192.168.128.202', mac, expiry: nowSeconds - 100 },
      { ip: '192.168.128.203', mac: '52:54:00:00:00:00', expiry: 0 },
    ];
    expect(reportedAddress({ mac, network, leases, now })).toEqual({ address: '192.168.128.201', source: 'lease' });
  });

  it('falls back to the reservation, then to the guest agent', () => {
    expect(reportedAddress({ mac, network, leases: [], now })).toEqual({ address: '192.168.128.130', source: 'reservation' });
    const agentInterfaces = [
      { hwaddr: '00:00:00:00:00:00', addrs: [{ addr: '127.0.0.1', type: 'ipv4' as const }] },
      {
        hwaddr: '52:54:00:2E:54:29',
        addrs: [
          { addr: 'fe80::1', type: 'ipv6' as const },
          { addr: '10.9.8.7', type: 'ipv4' as const },
        ],
      },
    ];
    expect(reportedAddress({ mac: '52:54:00:2e:54:29', network, leases: [], now, agentInterfaces })).toEqual({
      address: '10.9.8.7',
      source: 'agent',
    });
    expect(reportedAddress({ mac: '52:54:00:2e:54:29', network, leases: [], now })).toBeUndefined();
    expect(reportedAddress({ mac: '', leases: [], now })).toBeUndefined();
  });
});

describe('IPv4 helpers', () => {
  it('parses only dotted quads', () => {
    expect(parseIpv4('192.168.1.255')).toBe(0xc0a801ff);
    for (const bad of ['1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.256', '', 'a.b.c.d', '1..3.4', ' 1.2.3.4']) {
      expect(parseIpv4(bad)).toBeUndefined();
    }
    expect(formatIpv4(0xc0a801ff)).toBe('192.168.1.255');
  });

  it('converts between netmasks and prefixes', () => {
    expect(netmaskToPrefix('255.255.255.0')).toBe(24);
    expect(netmaskToPrefix('255.255.255.255')).toBe(32);
    expect(netmaskToPrefix('0.0.0.0')).toBe(0);
    expect(netmaskToPrefix('255.0.255.0')).toBeUndefined();
    expect(prefixToNetmask(20)).toBe('255.255.240.0');
    expect(prefixToNetmask(0)).toBe('0.0.0.0');
  });
});
