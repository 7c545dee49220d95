// Package probe polls one device once, as the agent would, and says what
// dcplane reads from it: an SNMP device through its profile (chosen from
// its sysObjectID when asked), a server's BMC over IPMI. It is the work of
// `dcplane probe snmp|ipmi`, whose command only reads flags and secrets
// into a target and prints what Run returns with the writers here.
//
// Failures carry their reason and what to check for it, since the person
// probing is usually standing at a new device with a wrong address, port or
// credential, and "timeout" alone does not say which.
package probe
