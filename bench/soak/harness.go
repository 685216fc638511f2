package main

import (
	"fmt"
	"os"

	"onair/internal/testpeer"
)

// harness owns the peers and the work directory: the soak's testpeer.T. A
// peer that fails to start ends the soak with its reason on one line.
type harness struct{ *testpeer.Program }

func newHarness(keep bool) (*harness, error) {
	p, err := testpeer.NewProgram("onair-soak-", keep, fail)
	if err != nil {
		return nil, err
	}
	return &harness{p}, nil
}

// fail ends the soak with its one-line reason.
func fail(reason string) {
	fmt.Println("FAIL soak:", reason)
	os.Exit(1)
}
