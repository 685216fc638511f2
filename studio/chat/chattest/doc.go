// Package chattest has fake chat servers, one per platform, for tests in
// any package: each speaks its platform's raw protocol over real sockets on
// loopback (free ports), lets a test push what the platform would send, and
// keeps what clients sent. It does not import the chat package.
package chattest
