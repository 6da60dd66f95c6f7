//go:build tools

// Keeps both modules in the graph; the CRDs are files in them, not Go code.
package tools

import (
	_ "istio.io/api/security/v1"
	_ "sigs.k8s.io/gateway-api/apis/v1"
)
