//go:build tools

// Keeps the echo server and client in the module graph.
package tools

import (
	_ "istio.io/istio/pkg/test/echo/cmd/client"
	_ "istio.io/istio/pkg/test/echo/cmd/server"
)
