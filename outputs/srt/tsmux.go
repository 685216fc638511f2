package srt

// #cgo pkg-config: libavformat libavcodec libavutil
// #cgo LDFLAGS: -lsrt
// #include <libavformat/avformat.h>
// #include <libavutil/mem.h>
// #include <srt/srt.h>
// #include <string.h>
//
// // The MPEG-TS muxer writes straight into the SRT socket from C: no Go
// // callback and no copy per 1316-byte message.
// typedef struct {
//     AVFormatContext *fc;
//     AVPacket *pkt;
//     int sock;
//     int srt_err;       // libsrt's error code of the first failed send
//     long long sent;    // bytes handed to libsrt
// } onair_ts;
//
// static int onair_ts_send(void *opaque, uint8_t *buf, int size) {
//     onair_ts *t = opaque;
//     if (t->srt_err) return AVERROR(EIO);
//     if (t->sock < 0) { t->sent += size; return size; } // no socket: count only (benchmarks)
//     int n = srt_sendmsg2(t->sock, (const char *)buf, size, NULL);
//     if (n < 0) {
//         t->srt_err = srt_getlasterror(NULL);
//         return AVERROR(EIO);
//     }
//     t->sent += n;
//     return size;
// }
//
// static onair_ts *onair_ts_new(int sock, int msg_size) {
//     onair_ts *t = av_mallocz(sizeof *t);
//     if (!t) return NULL;
//     t->sock = sock;
//     if (avformat_alloc_output_context2(&t->fc, NULL, "mpegts", NULL) < 0) { av_free(t); return NULL; }
//     uint8_t *buf = av_malloc(msg_size);
//     t->fc->pb = avio_alloc_context(buf, msg_size, 1, t, NULL, onair_ts_send, NULL);
//     t->fc->flags |= AVFMT_FLAG_CUSTOM_IO | AVFMT_FLAG_FLUSH_PACKETS;
//     t->pkt = av_packet_alloc();
//     return t;
// }
//
// static int onair_ts_add_video(onair_ts *t, int codec, int w, int h, int fps, const uint8_t *extra, int n) {
//     AVStream *s = avformat_new_stream(t->fc, NULL);
//     if (!s) return AVERROR(ENOMEM);
//     s->codecpar->codec_type = AVMEDIA_TYPE_VIDEO;
//     s->codecpar->codec_id = codec;
//     s->codecpar->width = w;
//     s->codecpar->height = h;
//     s->codecpar->format = AV_PIX_FMT_YUV420P;
//     s->avg_frame_rate = s->r_frame_rate = (AVRational){fps, 1};
//     s->time_base = (AVRational){1, fps};
//     if (n > 0) {
//         s->codecpar->extradata = av_mallocz(n + AV_INPUT_BUFFER_PADDING_SIZE);
//         memcpy(s->codecpar->extradata, extra, n);
//         s->codecpar->extradata_size = n;
//     }
//     return s->index;
// }
//
// static int onair_ts_add_aac(onair_ts *t, int rate, int channels, int frame_size, const uint8_t *extra, int n) {
//     AVStream *s = avformat_new_stream(t->fc, NULL);
//     if (!s) return AVERROR(ENOMEM);
//     s->codecpar->codec_type = AVMEDIA_TYPE_AUDIO;
//     s->codecpar->codec_id = AV_CODEC_ID_AAC;
//     s->codecpar->sample_rate = rate;
//     av_channel_layout_default(&s->codecpar->ch_layout, channels);
//     s->codecpar->frame_size = frame_size;
//     s->time_base = (AVRational){1, rate};
//     if (n > 0) {
//         s->codecpar->extradata = av_mallocz(n + AV_INPUT_BUFFER_PADDING_SIZE);
//         memcpy(s->codecpar->extradata, extra, n);
//         s->codecpar->extradata_size = n;
//     }
//     return s->index;
// }
//
// static int onair_ts_start(onair_ts *t) { return avformat_write_header(t->fc, NULL); }
//
// // onair_ts_write muxes one packet; prefix (the parameter sets, for keyframes)
// // goes in front of data so a receiver can join at any keyframe.
// static int onair_ts_write(onair_ts *t, int stream, const uint8_t *prefix, int np, const uint8_t *data, int n,
//                           long long pts, long long dts, long long tb_num, long long tb_den, int key) {
//     int r = av_new_packet(t->pkt, np + n);
//     if (r < 0) return r;
//     if (np) memcpy(t->pkt->data, prefix, np);
//     memcpy(t->pkt->data + np, data, n);
//     AVRational from = {tb_num, tb_den}, to = t->fc->streams[stream]->time_base;
//     t->pkt->pts = av_rescale_q(pts, from, to);
//     t->pkt->dts = av_rescale_q(dts, from, to);
//     t->pkt->stream_index = stream;
//     if (key) t->pkt->flags |= AV_PKT_FLAG_KEY;
//     r = av_write_frame(t->fc, t->pkt);
//     av_packet_unref(t->pkt);
//     if (r >= 0 && t->srt_err) r = AVERROR(EIO);
//     return r;
// }
//
// static int onair_ts_finish(onair_ts *t) { return t->srt_err ? AVERROR(EIO) : av_write_trailer(t->fc); }
//
// static void onair_ts_free(onair_ts *t) {
//     if (t->fc) {
//         if (t->fc->pb) { av_freep(&t->fc->pb->buffer); avio_context_free(&t->fc->pb); }
//         avformat_free_context(t->fc);
//     }
//     av_packet_free(&t->pkt);
//     av_free(t);
// }
//
// static const char *onair_srt_strerror(int code) { return srt_strerror(code, 0); }
import "C"

import (
	"errors"
	"fmt"
	"time"
	"unsafe"

	"github.com/asticode/go-astiav"

	"onair/encoder"
)

// tsMuxer is libavformat's MPEG-TS muxer writing to an SRT socket.
type tsMuxer struct {
	t      *C.onair_ts
	index  map[encoder.Kind]C.int
	extra  []byte // video parameter sets, repeated before each keyframe
	shift  time.Duration
	closed bool
}

func newTSMuxer(sock int, streams []encoder.Stream) (*tsMuxer, error) {
	t := C.onair_ts_new(C.int(sock), MessageSize)
	if t == nil {
		return nil, errors.New("starting MPEG-TS: out of memory")
	}
	m := &tsMuxer{t: t, index: map[encoder.Kind]C.int{}}
	for _, st := range streams {
		var idx C.int
		switch st.Codec {
		case encoder.H264, encoder.HEVC:
			id := astiav.CodecIDH264
			if st.Codec == encoder.HEVC {
				id = astiav.CodecIDHevc
			}
			idx = C.onair_ts_add_video(t, C.int(id), C.int(st.Width), C.int(st.Height), C.int(st.FPS), cbytes(st.Extradata), C.int(len(st.Extradata)))
			m.extra = st.Extradata
		case encoder.AAC:
			idx = C.onair_ts_add_aac(t, C.int(st.SampleRate), C.int(st.Channels), C.int(st.FrameSize), cbytes(st.Extradata), C.int(len(st.Extradata)))
		default:
			m.free()
			return nil, fmt.Errorf("MPEG-TS cannot carry %s", st.Codec)
		}
		if idx < 0 {
			m.free()
			return nil, fmt.Errorf("starting MPEG-TS: %w", astiav.Error(idx))
		}
		m.index[st.Kind] = idx
		m.shift = max(m.shift, st.Delay)
	}
	if r := C.onair_ts_start(t); r < 0 {
		err := m.err(r)
		m.free()
		return nil, fmt.Errorf("starting MPEG-TS: %w", err)
	}
	return m, nil
}

func cbytes(b []byte) *C.uint8_t {
	if len(b) == 0 {
		return nil
	}
	return (*C.uint8_t)(unsafe.Pointer(&b[0]))
}

// write muxes p and returns the bytes that went to the socket.
func (m *tsMuxer) write(p *encoder.Packet) (int, error) {
	idx, ok := m.index[p.Kind]
	if !ok || len(p.Data) == 0 {
		return 0, nil
	}
	var prefix []byte
	if p.Kind == encoder.Video && p.Key {
		prefix = m.extra
	}
	pts, dts := ts90Times(p, m.shift)
	key := C.int(0)
	if p.Key {
		key = 1
	}
	before := m.t.sent
	r := C.onair_ts_write(m.t, idx, cbytes(prefix), C.int(len(prefix)), cbytes(p.Data), C.int(len(p.Data)),
		C.longlong(pts), C.longlong(dts), 1, 90000, key)
	if r < 0 {
		return 0, m.err(r)
	}
	return int(m.t.sent - before), nil
}

// ts90Times are a packet's timestamps on MPEG-TS's 90 kHz clock, shifted by
// the audio priming so none is negative. The shift is added in 90 kHz ticks:
// in a video stream's 1/fps the 21.3 ms would round to a whole frame and put
// the pictures 12 ms late against the sound.
func ts90Times(p *encoder.Packet, shift time.Duration) (pts, dts int64) {
	ts90 := encoder.Rational{Num: 1, Den: 90000}
	return encoder.InTicks(p.PTSTime()+shift, ts90), encoder.InTicks(p.DTSTime()+shift, ts90)
}

func (m *tsMuxer) err(r C.int) error {
	if code := m.t.srt_err; code != 0 {
		return fmt.Errorf("the SRT connection failed: %s", C.GoString(C.onair_srt_strerror(code)))
	}
	return astiav.Error(r)
}

// finish writes the trailer; sentBytes counts what reached the socket.
func (m *tsMuxer) finish() error {
	if r := C.onair_ts_finish(m.t); r < 0 {
		return m.err(r)
	}
	return nil
}

func (m *tsMuxer) sentBytes() int64 { return int64(m.t.sent) }

func (m *tsMuxer) free() {
	if !m.closed {
		m.closed = true
		C.onair_ts_free(m.t)
	}
}
