package studio

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The profile's chat section: every platform read from JSON, refused in
// words without the secret when wrong, and a warning when the file holding
// tokens can be read by other users.
func TestProfileChatSection(t *testing.T) {
	dir := t.TempDir()
	write := func(chat string, mode os.FileMode) string {
		path := filepath.Join(dir, "p.json")
		os.Remove(path)
		if err := os.WriteFile(path, []byte(`{"chat":`+chat+`}`), mode); err != nil {
			t.Fatal(err)
		}
		return path
	}
	good := `{"twitch":{"channel":"cam","login":"cam","token":"oauth:tw1tchS3cret"},
		"kick":{"channel":"cam","chatroom":4242},
		"chaturbate":{"events_url":"https://eventsapi.chaturbate.com/events/cam/cbS3cretT0ken/"},
		"owncast":{"server":"https://owncast.example","name":"cam"},
		"youtube":{"key":"AIzaS3cretKey","video":"dQw4w9WgXcQ"},
		"custom":[{"name":"bot","url":"wss://bot.example/ws","header":{"Authorization":"Bearer b0tS3cret"},"fields":{"text":"data.message","author":"data.user","kind":"type","kind_map":{"donation":"tip"}}}],
		"moderation":{"hidden_users":["troll"],"filters":[{"pattern":"spam"}],"bots":["nightbot"]}}`
	path := write(good, 0o644)
	p, err := LoadProfile(path)
	if err != nil {
		t.Fatal(err)
	}
	c := p.Chat
	if c.Twitch == nil || c.Kick == nil || c.Chaturbate == nil || c.Owncast == nil || c.YouTube == nil || len(c.Custom) != 1 || c.Custom[0].Fields.KindMap["donation"] != "tip" {
		t.Fatalf("chat section %+v", c)
	}
	secrets := strings.Join(c.Secrets(), " ")
	for _, s := range []string{"tw1tchS3cret", "cbS3cretT0ken", "AIzaS3cretKey", "Bearer b0tS3cret"} {
		if !strings.Contains(secrets, s) {
			t.Errorf("secret %q is not listed for masking", s)
		}
	}
	if w := ExposedSecrets(path, p); !strings.Contains(w, "chmod 600") {
		t.Errorf("a 0644 profile with tokens: warning %q", w)
	}
	os.Chmod(path, 0o600)
	if w := ExposedSecrets(path, p); w != "" {
		t.Errorf("a 0600 profile: warning %q", w)
	}

	for _, c := range []struct{ chat, want string }{
		{`{"twitch":{"channel":"cam","token":"oauth:tw1tchS3cret"}}`, "login and token go together"},
		{`{"kick":{"channel":"cam"}}`, "chatroom id"},
		{`{"chaturbate":{"events_url":"https://eventsapi.chaturbate.com/cbS3cretT0ken"}}`, "not a Chaturbate events URL"},
		{`{"owncast":{"server":"ftp://x"}}`, "must start with http"},
		{`{"youtube":{"video":"x"}}`, "API key"},
		{`{"custom":[{"name":"bot","url":"wss://x/ws","fields":{}}]}`, "path of each message's text"},
		{`{"moderation":{"filters":[{"pattern":"(","regex":true}]}}`, "not a valid regular expression"},
		{`{"history":-1}`, "chat history"},
	} {
		_, err := LoadProfile(write(c.chat, 0o600))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("chat %s: %v; want %q", c.chat, err, c.want)
		}
		if err != nil && (strings.Contains(err.Error(), "S3cret")) {
			t.Errorf("the error shows a secret: %v", err)
		}
	}
}
