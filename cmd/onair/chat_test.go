package main

import (
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"onair/studio/chat/chattest"
)

// startChat starts `onair chat` with a pipe to its standard input.
func startChat(t *testing.T, env []string, args ...string) (cmd *exec.Cmd, stdin io.WriteCloser, stdout, stderr *syncBuffer) {
	t.Helper()
	cmd = exec.Command(onairBin, append([]string{"chat", "--color", "never"}, args...)...)
	cmd.Env = append(append(os.Environ(), "XDG_CONFIG_HOME="+t.TempDir()), env...)
	stdout, stderr = &syncBuffer{}, &syncBuffer{}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
		checkNoRace(t, stderr.String())
	})
	return cmd, stdin, stdout, stderr
}

// waitFor waits up to 15 s for cond.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 15 s for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// onair chat reads Twitch through a local server, prints each message and
// event on a line, sends what is typed (with the token from the
// environment, never printed), and stops on SIGINT.
func TestChatCommandTwitch(t *testing.T) {
	tw := chattest.NewTwitch(t)
	const token = "oauth:s3cretTwitchT0ken"
	cmd, stdin, stdout, stderr := startChat(t, []string{"ONAIR_TWITCH_TOKEN=" + token},
		"--twitch", "cam", "--twitch-server", tw.URL(), "--twitch-login", "cam")
	waitFor(t, "the join", func() bool { return tw.Joined() == 1 })
	tw.Say(chattest.Chat("cam", "ana", "id=1;display-name=Ana;color=#FF0000", "hello there"),
		chattest.Chat("cam", "bo", "id=2;display-name=Bo;bits=100", "cheer100 great show"),
		"@msg-id=raid;msg-param-viewerCount=42;display-name=Cy;login=cy;id=3 :tmi.twitch.tv USERNOTICE #cam")
	waitFor(t, "three lines", func() bool { return strings.Contains(stdout.String(), "raided") })
	io.WriteString(stdin, "thanks all\n")
	waitFor(t, "the send", func() bool { return len(tw.Sent("PRIVMSG")) == 1 })
	waitFor(t, "the echo", func() bool { return strings.Contains(stdout.String(), "cam: thanks all") })
	cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("onair chat ended with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("onair chat did not stop within 10 s of SIGINT")
	}
	out := stdout.String()
	for _, want := range []string{"-- twitch: live", "twitch     Ana: hello there", "twitch     ★ Bo tipped 100 bits: cheer100 great show", "twitch     ★ Cy raided with 42 viewers", "-- sending to twitch"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if s := tw.Sent("PRIVMSG"); len(s) != 1 || s[0] != "PRIVMSG #cam :thanks all" {
		t.Errorf("sent %q", s)
	}
	if strings.Contains(out+stderr.String(), "s3cretTwitchT0ken") {
		t.Error("the token was printed")
	}
}

// Bad input is refused in words with exit 2, without a hang.
func TestChatCommandBadInput(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "no chat to read"},
		{[]string{"--twitch", "no such channel!"}, "1 to 25 letters"},
		{[]string{"--twitch", "cam", "--twitch-login", "cam"}, "ONAIR_TWITCH_TOKEN"},
		{[]string{"--twitch", "cam", "--twitch-server", "http://x"}, "must start with ws://"},
		{[]string{"--twitch", "cam", "--color", "pink"}, "auto, always or never"},
		{[]string{"--twitch", "cam", "extra"}, "unexpected argument"},
	} {
		r := runOnair(t, 20*time.Second, append([]string{"chat"}, c.args...)...)
		if r.code != 2 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("onair chat %q: exit %d, stderr %q; want 2 and %q", c.args, r.code, r.stderr, c.want)
		}
	}
}

// onair chat against five fake platforms at once: each goes live, a line or
// event from each arrives in the merged stream with its platform's badge,
// a line typed goes to the one that can send (Owncast) and comes back, and
// no token or key is printed.
func TestChatCommandMergesEveryPlatform(t *testing.T) {
	tw := chattest.NewTwitch(t)
	kick := chattest.NewKick(t)
	cb := chattest.NewChaturbate(t, "performer", "cbT0kenS3cretXYZ")
	oc := chattest.NewOwncast(t)
	const ytKey = "AIzaYtK3yS3cretXYZ"
	yt := chattest.NewYouTube(t, ytKey, "chat1")
	yt.SetVideo("dQw4w9WgXcQ", "chat1")
	cmd, stdin, stdout, stderr := startChat(t, []string{"ONAIR_YOUTUBE_KEY=" + ytKey, "ONAIR_CHATURBATE_URL=" + cb.EventsURL()},
		"--twitch", "cam", "--twitch-server", tw.URL(),
		"--kick", "cam", "--kick-chatroom", "4242", "--kick-server", kick.URL(),
		"--chaturbate", "-",
		"--owncast", oc.URL(), "--owncast-name", "performer",
		"--youtube", "dQw4w9WgXcQ", "--youtube-server", yt.URL())
	for _, p := range []string{"twitch", "kick", "chaturbate", "owncast", "youtube"} {
		waitFor(t, p+" live", func() bool { return strings.Contains(stdout.String(), "-- "+p+": live") })
	}
	waitFor(t, "the Kick subscription", func() bool { return kick.Subscribers("chatrooms.4242.v2") == 1 })
	tw.Say(chattest.Chat("cam", "ana", "id=t1;display-name=Ana", "hi from twitch"))
	kick.Broadcast("chatrooms.4242.v2", "ChatMessageEvent", map[string]any{
		"id": "k1", "chatroom_id": 4242, "content": "hi from kick", "type": "message", "created_at": time.Now().UTC().Format(time.RFC3339),
		"sender": map[string]any{"id": 7, "username": "Bo", "slug": "bo", "identity": map[string]any{"color": "#BC66FF", "badges": []any{}}},
	})
	cb.Push(`{"method":"tip","object":{"tip":{"tokens":50,"isAnon":false,"message":"hi from chaturbate"},"user":{"username":"cy","inFanclub":false,"hasTokens":true,"isMod":false}}}`)
	oc.Chat(chattest.OwncastUser{ID: "u1", DisplayName: "Di"}, "hi from <strong>owncast</strong>")
	yt.Push(chattest.YouTubeText("y1", "UCed", "Ed", "hi from youtube"))
	want := []string{
		"twitch     Ana: hi from twitch",
		"kick       Bo: hi from kick",
		"chaturbate ★ cy tipped 50 tokens: hi from chaturbate",
		"owncast    Di: hi from owncast",
		"youtube    Ed: hi from youtube",
	}
	for _, w := range want {
		waitFor(t, w, func() bool { return strings.Contains(stdout.String(), w) })
	}
	io.WriteString(stdin, "hello everyone\n")
	waitFor(t, "the line sent to Owncast and back", func() bool {
		return strings.Contains(stdout.String(), "-- sending to owncast") && strings.Contains(stdout.String(), "owncast    performer: hello everyone")
	})
	io.WriteString(stdin, "@owncast\n")
	waitFor(t, "the empty line refused", func() bool { return strings.Contains(stdout.String(), "-- not sent: nothing after @owncast") })
	io.WriteString(stdin, "@kick hi kick\n")
	waitFor(t, "Kick's refusal", func() bool { return strings.Contains(stdout.String(), "-- not sent: kick chat cannot send here") })
	cmd.Process.Signal(os.Interrupt)
	if err := cmd.Wait(); err != nil {
		t.Errorf("onair chat ended with %v\n%s", err, stderr.String())
	}
	out := stdout.String() + stderr.String()
	for _, secret := range []string{ytKey, "cbT0kenS3cretXYZ"} {
		if strings.Contains(out, secret) {
			t.Errorf("a secret was printed:\n%s", out)
		}
	}
	if t.Failed() || os.Getenv("SHOW") != "" {
		t.Logf("output:\n%s", out)
	}
}

// One platform alone is enough: YouTube only, its key from the environment.
func TestChatCommandYouTubeAlone(t *testing.T) {
	const key = "AIzaAl0neK3y"
	yt := chattest.NewYouTube(t, key, "chat9")
	yt.SetVideo("vid9", "chat9")
	cmd, _, stdout, stderr := startChat(t, []string{"ONAIR_YOUTUBE_KEY=" + key}, "--youtube", "vid9", "--youtube-server", yt.URL())
	yt.Push(chattest.YouTubeText("y9", "UCx", "Zoe", "alone here"))
	waitFor(t, "the YouTube line", func() bool { return strings.Contains(stdout.String(), "youtube    Zoe: alone here") })
	cmd.Process.Signal(os.Interrupt)
	if err := cmd.Wait(); err != nil || strings.Contains(stdout.String()+stderr.String(), key) {
		t.Errorf("exit %v; output:\n%s%s", err, stdout.String(), stderr.String())
	}
}
