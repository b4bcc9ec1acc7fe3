// Package schemas holds the JSON Schemas of the report, manifest and messages and the
// OpenAPI document of the HTTP API, embedded so the binary can serve and check them.
package schemas

import _ "embed"

// OpenAPI is openapi.json: the HTTP API (served on /api/openapi.json).
//
//go:embed openapi.json
var OpenAPI []byte
