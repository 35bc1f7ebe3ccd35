// Wrapper module: pins sigs.k8s.io/gateway-api (version: the require line below), whose
// standard-channel CRDs tests/cluster/build-tools copies for tests/cluster/up to install.
// Nothing here imports it, so `go mod tidy` would drop the line: edit it by hand
// (go get sigs.k8s.io/gateway-api@VERSION). Not part of the product.
module slipway.dev/tests/cluster/tools/gateway-api

go 1.26.0

require sigs.k8s.io/gateway-api v1.6.3
