package main

import (
	"fmt"
	"io"
)

func runStudio(stderr io.Writer) int {
	fmt.Fprintln(stderr, "onair: the studio window is not built yet")
	return 1
}
