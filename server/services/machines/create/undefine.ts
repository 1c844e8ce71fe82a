/** Undefining a domain with everything libvirt keeps beside it: snapshot metadata, managed save, NVRAM. */
import { DomainUndefineFlags, ErrorCode, LibvirtError, type Domain } from '../../../libvirt/index.js';

export const UNDEFINE_FLAGS =
  DomainUndefineFlags.MANAGED_SAVE | DomainUndefineFlags.SNAPSHOTS_METADATA | DomainUndefineFlags.NVRAM;

/** Drivers without NVRAM support (the test driver) refuse that flag as an invalid argument: retry without it. */
export async function undefineDomain(domain: Domain): Promise<void> {
  try {
    await domain.undefine({ flags: UNDEFINE_FLAGS });
  } catch (err) {
    if (!(err instanceof LibvirtError && (err.code === ErrorCode.INVALID_ARG || err.code === ErrorCode.ARGUMENT_UNSUPPORTED)))
      throw err;
    await domain.undefine({ flags: UNDEFINE_FLAGS & ~DomainUndefineFlags.NVRAM });
  }
}
