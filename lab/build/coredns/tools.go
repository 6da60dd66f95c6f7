//go:build tools

// Keeps CoreDNS's main package in the module graph.
package tools

import _ "github.com/coredns/coredns"
