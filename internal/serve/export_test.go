package serve

// SetMaxConnections bounds the connections Serve holds open, for tests
// that flood it.
func (n *Node) SetMaxConnections(max int) { n.maxConns = max }
