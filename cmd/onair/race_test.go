//go:build race

package main

// raceBuild: under go test -race the end-to-end tests also build onair with
// the race detector.
var raceBuild = []string{"-race"}
