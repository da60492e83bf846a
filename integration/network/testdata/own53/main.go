// Command own53 stands in for a DNS server of the container's own
// (dnsmasq and the like): it binds UDP and TCP on the wildcard port 53,
// says so, and answers every UDP datagram with "own53".
package main

import (
	"fmt"
	"net"
	"os"
)

func main() {
	pc, err := net.ListenPacket("udp", ":53")
	if err != nil {
		fmt.Println("bind udp:", err)
		os.Exit(1)
	}
	ln, err := net.Listen("tcp", ":53")
	if err != nil {
		fmt.Println("bind tcp:", err)
		os.Exit(1)
	}
	defer ln.Close()
	fmt.Println("bound")
	buf := make([]byte, 1500)
	for {
		_, addr, err := pc.ReadFrom(buf)
		if err != nil {
			return
		}
		_, _ = pc.WriteTo([]byte("own53"), addr)
	}
}
