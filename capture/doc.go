// Package capture holds onair's sources: the synthetic test card and tone, and the
// frame and clock types every source stamps its output with.
package capture
