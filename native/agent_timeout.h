// The guest's answer deadline for libvirt's typed guest agent calls (domain_agent.cc).
#pragma once

#include <libvirt/libvirt.h>

namespace vmango {

// virDomainAgentSetResponseTimeout(domain, seconds) on the calling job's connection, just before
// an agent call. Drivers without it (test:///) have no agent to wait for: ignored there.
void SetAgentResponseTimeout(virDomainPtr domain, int seconds);

}  // namespace vmango
