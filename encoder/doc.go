// Package encoder holds what the encoders produce and how it reaches the
// destinations: the immutable Packet, the stream descriptions muxers need, and
// the Hub that fans packets out through one bounded Queue per destination.
// The libav encoders themselves live in encoder/libav.
package encoder
