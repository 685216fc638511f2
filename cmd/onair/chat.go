package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"onair/internal/wire"
	"onair/outputs"
	"onair/overlay"
	"onair/studio"
	"onair/studio/chat"
	"onair/studio/settings"
)

// runChat is `onair chat`: every chat set up (flags, or the profile's chat
// section) merged in the terminal, one line a message or event; a line
// typed on standard input is sent ("@twitch hello" to one platform).
func runChat(args []string, stdin *os.File, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("onair chat", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		profilePath = fs.String("profile", "", "profile whose chat section to read (default "+studio.DefaultProfilePath()+" if it exists)")
		seconds     = fs.Float64("seconds", 0, "stop after this many seconds (0: until Ctrl-C)")
		colour      = fs.String("color", "auto", "colour by platform: auto (on a terminal, unless NO_COLOR), always, never")
		f           chatFlags
	)
	f.define(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "onair chat: unexpected argument %q\n", studio.CleanText(fs.Arg(0), 80))
		return 2
	}
	p, _, ok := loadProfile("onair chat", *profilePath, stderr)
	if !ok {
		return 2
	}
	cfg := p.Chat
	if err := f.apply(&cfg); err != nil {
		fmt.Fprintf(stderr, "onair chat: %v\n", err)
		return 2
	}
	if cfg.Empty() {
		fmt.Fprintln(stderr, "onair chat: no chat to read: give --twitch CHANNEL (onair chat -h lists the platforms), or a chat section in the profile")
		return 2
	}
	if !(*seconds >= 0) {
		fmt.Fprintf(stderr, "onair chat: --seconds %g: give a number of seconds, or 0 to run until Ctrl-C\n", *seconds)
		return 2
	}
	var useColour bool
	switch *colour {
	case "always":
		useColour = true
	case "never":
	case "auto":
		f, ok := stdout.(*os.File)
		useColour = ok && isTerminal(f) && os.Getenv("NO_COLOR") == ""
	default:
		fmt.Fprintf(stderr, "onair chat: --color %q: auto, always or never\n", studio.CleanText(*colour, 20))
		return 2
	}

	if err := cfg.Validate(); err != nil {
		fmt.Fprintf(stderr, "onair chat: %s\n", chat.Masker(cfg.Secrets())(err.Error()))
		return 2
	}
	pr := newChatPrinter(stdout, useColour, chat.Masker(cfg.Secrets()))
	h, err := cfg.Hub(p.Backoff(), func(s string) { pr.line("", "-- "+s) })
	if err != nil {
		pr.close()
		fmt.Fprintf(stderr, "onair chat: %s\n", pr.mask(err.Error()))
		return 2
	}
	h.OnUpdate(pr.update)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *seconds > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(*seconds*float64(time.Second)))
		defer cancel()
	}
	lines := readLines(stdin, stderr, func(line []byte) {
		platform, text := chat.ParseSendLine(string(line))
		if text == "" {
			if platform != "" {
				pr.line("", "-- not sent: nothing after @"+platform)
			}
			return
		}
		said, err := h.Send(platform, text)
		if err != nil {
			said = "not sent: " + err.Error()
		}
		pr.line("", "-- "+said)
	})
	h.Run(ctx)
	lines.Stop()
	pr.close()
	return 0
}

// loadProfile reads the profile at path (the default one when ""), saying
// what is wrong on stderr, and a notice when it shows its secrets to other
// users.
func loadProfile(command, path string, stderr io.Writer) (studio.Profile, string, bool) {
	if path == "" {
		path = studio.DefaultProfilePath()
	}
	// The keys and tokens the window put in the desktop keyring come back
	// from it.
	p, notices, err := settings.ReadProfile(path)
	for _, n := range notices {
		fmt.Fprintln(stderr, "notice:", n)
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", command, err)
		return p, path, false
	}
	if w := studio.ExposedSecrets(path, p); w != "" {
		fmt.Fprintln(stderr, "notice:", w)
	}
	return p, path, true
}

// chatFlags are the platforms `onair chat` reads, added to (or replacing)
// the profile's. Tokens and keys come from the environment: a flag shows
// on every user's process list.
type chatFlags struct {
	twitch, twitchLogin, twitchServer string
	kick, kickServer                  string
	kickChatroom                      int64
	chaturbate, chaturbateServer      string
	owncast, owncastName              string
	youtube, youtubeServer            string
}

func (f *chatFlags) define(fs *flag.FlagSet) {
	fs.StringVar(&f.twitch, "twitch", "", "a Twitch channel to read")
	fs.StringVar(&f.twitchLogin, "twitch-login", "", "send to Twitch as this account (its OAuth token in $ONAIR_TWITCH_TOKEN)")
	fs.StringVar(&f.twitchServer, "twitch-server", "", "Twitch chat's WebSocket address (a relay, a test server)")
	fs.StringVar(&f.kick, "kick", "", "a Kick channel to read (with --kick-chatroom)")
	fs.Int64Var(&f.kickChatroom, "kick-chatroom", 0, "the Kick channel's chatroom id (kick.com/api/v2/channels/NAME shows it)")
	fs.StringVar(&f.kickServer, "kick-server", "", "Kick's Pusher WebSocket address")
	fs.StringVar(&f.chaturbate, "chaturbate", "", "the Chaturbate events URL from your settings, or - to take it from $ONAIR_CHATURBATE_URL (it holds a token)")
	fs.StringVar(&f.chaturbateServer, "chaturbate-server", "", "another host for the Chaturbate events feed")
	fs.StringVar(&f.owncast, "owncast", "", "an Owncast server's address (https://host) to read and send on")
	fs.StringVar(&f.owncastName, "owncast-name", "", "the name to chat as on Owncast")
	fs.StringVar(&f.youtube, "youtube", "", "a YouTube live video (id or address) to read; the API key in $ONAIR_YOUTUBE_KEY")
	fs.StringVar(&f.youtubeServer, "youtube-server", "", "the YouTube Data API's address")
}

// apply puts the flags given into cfg.
func (f *chatFlags) apply(cfg *chat.Config) error {
	if f.twitch != "" || f.twitchServer != "" || f.twitchLogin != "" {
		t := chat.TwitchConfig{}
		if cfg.Twitch != nil {
			t = *cfg.Twitch
		}
		t.Channel = cmp.Or(f.twitch, t.Channel)
		t.Server = cmp.Or(f.twitchServer, t.Server)
		if f.twitchLogin != "" {
			t.Login, t.Token = f.twitchLogin, os.Getenv("ONAIR_TWITCH_TOKEN")
			if t.Token == "" {
				return errors.New("--twitch-login needs the account's OAuth token in $ONAIR_TWITCH_TOKEN (a flag would show it to every user of this machine)")
			}
		}
		cfg.Twitch = &t
	}
	if f.kick != "" || f.kickChatroom != 0 || f.kickServer != "" {
		k := chat.KickConfig{}
		if cfg.Kick != nil {
			k = *cfg.Kick
		}
		k.Channel = cmp.Or(f.kick, k.Channel)
		k.Chatroom = cmp.Or(f.kickChatroom, k.Chatroom)
		k.Server = cmp.Or(f.kickServer, k.Server)
		cfg.Kick = &k
	}
	if f.chaturbate != "" || f.chaturbateServer != "" {
		c := chat.ChaturbateConfig{}
		if cfg.Chaturbate != nil {
			c = *cfg.Chaturbate
		}
		switch f.chaturbate {
		case "-":
			if c.EventsURL = os.Getenv("ONAIR_CHATURBATE_URL"); c.EventsURL == "" {
				return errors.New("--chaturbate -: set $ONAIR_CHATURBATE_URL to the events URL from Chaturbate's settings")
			}
		case "":
		default:
			c.EventsURL = f.chaturbate
		}
		c.Server = cmp.Or(f.chaturbateServer, c.Server)
		cfg.Chaturbate = &c
	}
	if f.owncast != "" || f.owncastName != "" {
		o := chat.OwncastConfig{}
		if cfg.Owncast != nil {
			o = *cfg.Owncast
		}
		o.Server = cmp.Or(f.owncast, o.Server)
		o.Name = cmp.Or(f.owncastName, o.Name)
		cfg.Owncast = &o
	}
	if f.youtube != "" || f.youtubeServer != "" {
		y := chat.YouTubeConfig{}
		if cfg.YouTube != nil {
			y = *cfg.YouTube
		}
		y.Video = cmp.Or(f.youtube, y.Video)
		y.Server = cmp.Or(f.youtubeServer, y.Server)
		y.Key = cmp.Or(os.Getenv("ONAIR_YOUTUBE_KEY"), y.Key)
		if y.Key == "" {
			return errors.New("--youtube needs a YouTube Data API key in $ONAIR_YOUTUBE_KEY (or the profile's chat.youtube.key)")
		}
		cfg.YouTube = &y
	}
	return nil
}

// chatPrinter writes the merged chat, one line each, from a goroutine of
// its own: a terminal that stops reading (Ctrl-S, a slow pipe) never holds
// the chats up. Past its queue a line is counted and said later.
type chatPrinter struct {
	w       io.Writer
	colour  bool
	mask    func(string) string
	q       chan string
	done    chan struct{}
	dropped atomic.Int64
}

func newChatPrinter(w io.Writer, colour bool, mask func(string) string) *chatPrinter {
	p := &chatPrinter{w: w, colour: colour, mask: mask, q: make(chan string, 4096), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		for l := range p.q {
			if n := p.dropped.Swap(0); n > 0 {
				fmt.Fprintf(p.w, "%s -- %d lines not printed: the terminal did not keep up\n", time.Now().Format("15:04:05"), n)
			}
			io.WriteString(p.w, l)
		}
	}()
	return p
}

// close prints what is queued and ends the printer; after every line.
func (p *chatPrinter) close() {
	close(p.q)
	<-p.done
}

// platformColours are the platforms' own colours, as 256-colour codes.
var platformColours = map[string]int{"twitch": 135, "kick": 82, "youtube": 196, "chaturbate": 208, "owncast": 39}

func (p *chatPrinter) line(platform, s string) {
	s = p.mask(s)
	stamp := time.Now().Format("15:04:05")
	var l string
	if platform == "" {
		l = fmt.Sprintf("%s %s\n", stamp, s)
	} else {
		badge := fmt.Sprintf("%-10s", platform)
		if p.colour {
			c, ok := platformColours[platform]
			if !ok {
				c = 250
			}
			badge = fmt.Sprintf("\x1b[38;5;%dm%s\x1b[0m", c, badge)
		}
		l = fmt.Sprintf("%s %s %s\n", stamp, badge, s)
	}
	select {
	case p.q <- l:
	default:
		p.dropped.Add(1)
	}
}

func (p *chatPrinter) update(u chat.Update) {
	for _, s := range u.States {
		switch s.Phase {
		case chat.Reconnecting:
			p.line("", fmt.Sprintf("-- %s: reconnecting in %.1f s: %s", s.Platform, s.Retry.Seconds(), orNothing(s.Err)))
		case chat.Failed:
			p.line("", fmt.Sprintf("-- %s: failed: %s", s.Platform, orNothing(s.Err)))
		default:
			p.line("", fmt.Sprintf("-- %s: %s", s.Platform, s.Phase))
		}
	}
	for _, it := range u.Added {
		if !it.Hidden {
			p.line(it.Msg.Platform, chat.Describe(&it.Msg))
		}
	}
	for _, it := range u.Removed {
		p.line(it.Msg.Platform, "✕ removed: "+chat.Describe(&it.Msg))
	}
	for _, s := range u.Held {
		p.line("", "-- "+s)
	}
}

func orNothing(s string) string {
	if s == "" {
		return "no reason given"
	}
	return s
}

// isTerminal tells whether f is a terminal (without Fd(), which would make
// a non-blocking descriptor blocking).
func isTerminal(f *os.File) bool {
	rc, err := f.SyscallConn()
	if err != nil {
		return false
	}
	tty := false
	rc.Control(func(fd uintptr) {
		_, err := unix.IoctlGetTermios(int(fd), unix.TCGETS)
		tty = err == nil
	})
	return tty
}

// startShowChat runs the profile's chats beside `onair live`: their lines
// and events go on the scene (chat boxes, alerts, goal bar); connection
// changes and events are said on out. stop ends them and waits.
func startShowChat(cfg chat.Config, backoff outputs.Backoff, stage *overlay.Stage, out io.Writer) (stop func()) {
	var mu sync.Mutex
	say := func(s string) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintln(out, "chat:", s)
	}
	c, err := wire.NewChat(cfg, backoff, stage, say)
	if err != nil || c == nil {
		if err != nil {
			say(chat.Masker(cfg.Secrets())(err.Error())) // the profile was checked: not expected
		}
		return func() {}
	}
	mask := chat.Masker(cfg.Secrets())
	c.Hub.OnUpdate(func(u chat.Update) {
		for _, s := range u.States {
			if s.Phase == chat.Live || s.Phase == chat.Failed || s.Err != "" {
				say(mask(fmt.Sprintf("%s %s %s", s.Platform, s.Phase, s.Err)))
			}
		}
		for _, it := range u.Added {
			if it.Msg.Kind != chat.KindChat && !it.Hidden {
				say(mask(it.Msg.Platform + " " + chat.Describe(&it.Msg)))
			}
		}
	})
	c.Start()
	return c.Stop
}
