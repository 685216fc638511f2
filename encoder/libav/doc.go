// Package libav wraps FFmpeg's encoders (through go-astiav and a small cgo
// helper) behind plain Go types: pictures and samples go in, immutable
// encoder.Packets come out, copied once into Go memory.
package libav
