// Package suite is the entry point of the upstream Gateway API conformance suite, compiled with
// `go test -c`. Every option comes from the suite's own flags (-conformance-profiles,
// -supported-features, -namespace-labels, -report-output, ...); conformance/run.sh sets them.
package suite

import (
	"testing"

	"sigs.k8s.io/gateway-api/conformance"
)

func TestGatewayAPIConformance(t *testing.T) {
	conformance.RunConformance(t)
}
