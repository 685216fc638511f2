// Package webrtc sends the program to WHIP ingest servers (RFC 9725): one
// HTTP POST carries our SDP offer and brings back the answer, then H.264
// and Opus go over a pion/webrtc PeerConnection; DELETE ends the session.
package webrtc
