package preflight

import (
	"bufio"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"time"

	"onair/outputs"
)

// rtmpConn is the client side of RTMP that the pre-flight needs: the
// handshake, `connect` to an application and its answer. It never creates a
// stream nor publishes, so the stream key is never sent.
type rtmpConn struct {
	conn    net.Conn
	r       *bufio.Reader
	inChunk int
	// in is each chunk stream's last header and its message being read.
	in map[uint32]*chunkIn
}

type chunkIn struct {
	ts, length uint32
	typ        byte
	body       []byte
}

// errHungUp is a server that closed the connection.
var errHungUp = errors.New("the server hung up")

// connectRefused is a `connect` answered with _error.
type connectRefused struct{ said string }

func (e *connectRefused) Error() string { return "connect refused: " + e.said }

const outChunk = 4096

// handshake does RTMP's plain handshake (C0 C1, S0 S1 S2, C2) and returns
// its round trip (C1 sent to S1 read).
func (c *rtmpConn) handshake() (time.Duration, error) {
	c.r = bufio.NewReaderSize(c.conn, 16<<10)
	c.in = map[uint32]*chunkIn{}
	c1 := make([]byte, 1+1536)
	c1[0] = 3
	rand.Read(c1[9:])
	start := time.Now()
	if _, err := c.conn.Write(c1); err != nil {
		return 0, c.failed(err)
	}
	s := make([]byte, 1+1536+1536)
	if _, err := io.ReadFull(c.r, s[:1+1536]); err != nil {
		return 0, c.failed(err)
	}
	rtt := time.Since(start)
	if s[0] != 3 {
		return 0, fmt.Errorf("rtmp: the server answered with version %d, not RTMP's 3: is it an RTMP server?", s[0])
	}
	if _, err := io.ReadFull(c.r, s[1+1536:]); err != nil {
		return 0, c.failed(err)
	}
	if _, err := c.conn.Write(s[1 : 1+1536]); err != nil { // C2 echoes S1
		return 0, c.failed(err)
	}
	return rtt, nil
}

func (c *rtmpConn) failed(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errHungUp
	}
	return err
}

// connect sets the chunk size and asks for t's application (tcUrl without
// the key), then reads until the server answers transaction 1.
func (c *rtmpConn) connect(t outputs.Target) error {
	var setChunk [4]byte
	binary.BigEndian.PutUint32(setChunk[:], outChunk)
	if err := c.writeMessage(2, 1, setChunk[:]); err != nil {
		return c.failed(err)
	}
	tcURL := fmt.Sprintf("%s://%s/%s", t.Protocol, net.JoinHostPort(t.Host, fmt.Sprint(t.Port)), t.App)
	var b []byte
	b = amfString(b, "connect")
	b = amfNumber(b, 1)
	b = append(b, 3) // object
	b = amfProp(b, "app", t.App)
	b = amfProp(b, "type", "nonprivate")
	b = amfProp(b, "flashVer", "FMLE/3.0 (compatible; onair check)")
	b = amfProp(b, "tcUrl", tcURL)
	b = append(b, 0, 0, 9)
	if err := c.writeMessage(3, 20, b); err != nil {
		return c.failed(err)
	}
	for {
		typ, body, err := c.readMessage()
		if err != nil {
			return c.failed(err)
		}
		if typ != 20 {
			continue
		}
		vals, _ := amfDecode(body)
		if len(vals) < 2 {
			continue
		}
		name, _ := vals[0].(string)
		if id, _ := vals[1].(float64); id != 1 {
			continue
		}
		switch name {
		case "_result":
			return nil
		case "_error":
			said := "no reason given"
			for _, v := range vals[2:] {
				if m, ok := v.(map[string]any); ok {
					if d, _ := m["description"].(string); d != "" {
						said = d
					} else if code, _ := m["code"].(string); code != "" {
						said = code
					}
				}
			}
			return &connectRefused{said: said}
		}
	}
}

// writeMessage sends one message on chunk stream csid (2..63), message
// stream 0, in chunks of outChunk bytes.
func (c *rtmpConn) writeMessage(csid byte, typ byte, body []byte) error {
	hdr := []byte{csid, 0, 0, 0, byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body)), typ, 0, 0, 0, 0}
	out := make([]byte, 0, len(hdr)+len(body)+len(body)/outChunk+1)
	out = append(out, hdr...)
	for i := 0; i < len(body); i += outChunk {
		if i > 0 {
			out = append(out, 0xc0|csid) // type 3: continues the message
		}
		out = append(out, body[i:min(i+outChunk, len(body))]...)
	}
	_, err := c.conn.Write(out)
	return err
}

// readMessage reads chunks until a whole message has arrived.
func (c *rtmpConn) readMessage() (byte, []byte, error) {
	for {
		b0, err := c.r.ReadByte()
		if err != nil {
			return 0, nil, err
		}
		fmtType := b0 >> 6
		csid := uint32(b0 & 0x3f)
		switch csid {
		case 0:
			x, err := c.r.ReadByte()
			if err != nil {
				return 0, nil, err
			}
			csid = 64 + uint32(x)
		case 1:
			var x [2]byte
			if _, err := io.ReadFull(c.r, x[:]); err != nil {
				return 0, nil, err
			}
			csid = 64 + uint32(x[0]) + uint32(x[1])<<8
		}
		st := c.in[csid]
		if st == nil {
			st = &chunkIn{}
			c.in[csid] = st
		}
		var h [11]byte
		n := [4]int{11, 7, 3, 0}[fmtType]
		if _, err := io.ReadFull(c.r, h[:n]); err != nil {
			return 0, nil, err
		}
		ts := uint32(h[0])<<16 | uint32(h[1])<<8 | uint32(h[2])
		if n >= 7 {
			st.length = uint32(h[3])<<16 | uint32(h[4])<<8 | uint32(h[5])
			st.typ = h[6]
		}
		if n >= 3 && ts == 0xffffff {
			var x [4]byte
			if _, err := io.ReadFull(c.r, x[:]); err != nil {
				return 0, nil, err
			}
		}
		if st.length > 1<<20 {
			return 0, nil, fmt.Errorf("rtmp: the server sent a message of %d bytes", st.length)
		}
		want := min(int(st.length)-len(st.body), c.inChunk)
		buf := make([]byte, want)
		if _, err := io.ReadFull(c.r, buf); err != nil {
			return 0, nil, err
		}
		st.body = append(st.body, buf...)
		if len(st.body) < int(st.length) {
			continue
		}
		body, typ := st.body, st.typ
		st.body = nil
		if typ == 1 && len(body) >= 4 { // Set Chunk Size
			c.inChunk = int(binary.BigEndian.Uint32(body) & 0x7fffffff)
			if c.inChunk < 1 {
				c.inChunk = 128
			}
			continue
		}
		return typ, body, nil
	}
}

func amfString(b []byte, s string) []byte {
	b = append(b, 2, byte(len(s)>>8), byte(len(s)))
	return append(b, s...)
}

func amfNumber(b []byte, v float64) []byte {
	b = append(b, 0)
	return binary.BigEndian.AppendUint64(b, math.Float64bits(v))
}

func amfProp(b []byte, k, v string) []byte {
	b = append(b, byte(len(k)>>8), byte(len(k)))
	b = append(b, k...)
	return amfString(b, v)
}

// amfDecode reads AMF0 values: numbers, booleans, strings, objects and
// arrays (as maps), null; it stops at anything else.
func amfDecode(b []byte) ([]any, error) {
	var out []any
	for len(b) > 0 {
		v, rest, err := amfValue(b, 0)
		if err != nil {
			return out, err
		}
		out, b = append(out, v), rest
	}
	return out, nil
}

var errAMF = errors.New("rtmp: an AMF0 value onair does not read")

func amfValue(b []byte, depth int) (any, []byte, error) {
	if len(b) == 0 || depth > 8 {
		return nil, nil, errAMF
	}
	switch b[0] {
	case 0:
		if len(b) < 9 {
			return nil, nil, errAMF
		}
		return math.Float64frombits(binary.BigEndian.Uint64(b[1:])), b[9:], nil
	case 1:
		if len(b) < 2 {
			return nil, nil, errAMF
		}
		return b[1] != 0, b[2:], nil
	case 2:
		s, rest, err := amfShortString(b[1:])
		return s, rest, err
	case 5, 6:
		return nil, b[1:], nil
	case 3:
		return amfObject(b[1:], depth)
	case 8: // ECMA array: a count, then properties as in an object
		if len(b) < 5 {
			return nil, nil, errAMF
		}
		return amfObject(b[5:], depth)
	}
	return nil, nil, errAMF
}

func amfShortString(b []byte) (string, []byte, error) {
	if len(b) < 2 {
		return "", nil, errAMF
	}
	n := int(binary.BigEndian.Uint16(b))
	if len(b) < 2+n {
		return "", nil, errAMF
	}
	return string(b[2 : 2+n]), b[2+n:], nil
}

func amfObject(b []byte, depth int) (any, []byte, error) {
	m := map[string]any{}
	for {
		k, rest, err := amfShortString(b)
		if err != nil {
			return nil, nil, err
		}
		if k == "" && len(rest) > 0 && rest[0] == 9 {
			return m, rest[1:], nil
		}
		v, rest, err := amfValue(rest, depth+1)
		if err != nil {
			return nil, nil, err
		}
		m[k], b = v, rest
	}
}
