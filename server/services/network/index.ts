/** libvirt DHCP networks: reading network XML, reserving addresses, reporting a machine's address. */
export { parseNetworkXml, type DhcpHost, type DhcpRange, type NetworkFacts, type NetworkIp } from './network-xml.js';
export { chooseFreeAddress, NoFreeAddressError, type ChooseAddressOptions } from './free-address.js';
export { dhcpHostXml, DhcpHostError, type DhcpHostEntry } from './dhcp-host.js';
export { reportedAddress, type AgentInterface, type ReportedAddressInput } from './reported-address.js';
export { isLeaseLive, type DhcpLease } from './lease.js';
