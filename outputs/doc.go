// Package outputs holds onair's destinations: parsing and redacting their URLs,
// and the per-destination loop that connects, sends from its own queue, and
// reconnects with backoff. Protocol code (outputs/rtmp, outputs/srt) only
// connects, sends and returns errors.
package outputs
