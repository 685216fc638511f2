//go:build race

package main

// raceBuild: the end-to-end tests run onair built with the race detector
// when they themselves run under it.
var raceBuild = []string{"-race"}
