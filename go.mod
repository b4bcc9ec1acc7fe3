module github.com/precis-dx/precis

go 1.26.8

require (
	github.com/biogo/hts v1.4.5
	github.com/brentp/vcfgo v0.0.0-20250902214554-a31336cef488
	github.com/santhosh-tekuri/jsonschema/v6 v6.0.3
)

require (
	github.com/brentp/irelate v0.0.1 // indirect
	golang.org/x/text v0.42.0 // indirect
)
