// Package tlsutil is dcplane's mutual TLS: a site CA, certificates that
// carry their holder's role (controller, agent, operator) as a URI SAN
// dcplane:role:ROLE, and tls.Configs that require TLS 1.3, a certificate of
// the site CA on both sides, and the role the other side must have.
package tlsutil
