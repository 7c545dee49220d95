// Package collectors holds what every device protocol has in common: the
// normalised Reading that a collector makes of a device's answer, in base
// units (W, A, V, J, °C, %), and the Status of one poll.
//
// The protocol code lives in sub-packages (collectors/snmp,
// collectors/ipmi); each turns a device's answer into Readings. A quantity the
// device does not report is left out, never reported as zero.
package collectors
