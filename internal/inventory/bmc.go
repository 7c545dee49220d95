package inventory

import "go.yaml.in/yaml/v3"

// BMC says how to reach a server's baseboard management controller over
// IPMI v2.0 (RMCP+). Credentials names an IPMI entry of the agent's
// credentials file: secrets never stand in an inventory.
type BMC struct {
	Address     string `yaml:"address" json:"address"` // host:port (the RMCP port, 623 on a real BMC)
	Credentials string `yaml:"credentials" json:"credentials"`
	// CipherSuite is the RMCP+ cipher suite: 17 (the default when left
	// out) or 3, for BMCs that lack 17. It overrides the credentials
	// entry's.
	CipherSuite int `yaml:"cipher_suite,omitempty" json:"cipher_suite,omitempty"`
}

// The cipher suites a BMC may name; see collectors/ipmi.CipherSuite.
const (
	cipherSuite17 = 17
	cipherSuite3  = 3
)

// bmc checks a server's BMC endpoint, when it has one.
func (c *checker) bmc(path string, b *BMC) {
	if b == nil {
		return
	}
	c.address(path+".address", b.Address)
	if b.Credentials == "" {
		c.add(path+".credentials", "is required (the name of an ipmi entry in the agent's credentials file)")
	}
	switch {
	case b.CipherSuite == cipherSuite17 || b.CipherSuite == cipherSuite3:
	case b.CipherSuite == 0 && !c.written(path+".cipher_suite"):
	case b.CipherSuite == 0:
		c.add(path+".cipher_suite", "suite 0 has no authentication, integrity or encryption (want 17, or 3 for old BMCs; leave it out for 17)")
	default:
		c.add(path+".cipher_suite", "must be 17, or 3 for old BMCs, got %d", b.CipherSuite)
	}
}

// node is b's YAML node, in flow style, for Server.MarshalYAML.
func (b *BMC) node() *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
	n.Content = append(n.Content, str("address"), str(b.Address), str("credentials"), str(b.Credentials))
	field(n, "cipher_suite", b.CipherSuite, 0, false)
	return n
}
