// Package dns is the embedded DNS server that containers on user-defined
// networks reach at 127.0.0.11:53, like Docker's embedded resolver.
//
// The server runs in the daemon process. Its UDP and TCP sockets are
// created inside the container's network namespace (127.0.0.0/8 is local
// on the container's lo, so no NAT rule is needed) and served by
// goroutines of the daemon, which stay in the host namespace. So one
// container costs two sockets and two idle goroutines, no OS thread.
//
// Names the container may resolve (container names, aliases, links) and
// reverse lookups of their addresses are answered from a Lookup the
// caller provides; it is asked on every query, so connect and disconnect
// take effect at once. Every other query is forwarded from the host
// namespace to the host's resolvers, which therefore may be loopback
// resolvers such as systemd-resolved's 127.0.0.53.
package dns
