//go:build tools

// Keeps echo-basic in the module graph.
package tools

import _ "sigs.k8s.io/gateway-api/conformance/echo-basic"
