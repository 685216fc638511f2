package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"onair/internal/testpeer"
)

// onair itself under the race detector, through every kind of destination at
// once — two RTMP (one with dynamic bitrate), SRT with a passphrase, a
// recording — and a server that goes away and comes back: no data race, a
// clean end, every destination reached.
func TestLiveUnderTheRaceDetector(t *testing.T) {
	if onairRaceBin == "" {
		t.Skip("runs under go test -race only")
	}
	nginx := testpeer.StartNginxRTMP(t, "one", "two")
	srt := testpeer.StartSRTListener(t, "&passphrase=pass-race-0123")
	rec := filepath.Join(t.TempDir(), "race.mkv")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, onairRaceBin, "live", "--size", "640x360", "--fps", "30", "--bitrate", "800",
		"--duration", "12s", "--quiet", "--reconnect-max", "5s",
		"--dest", nginx.URL("one", "sk_race_1"), "--dest", "twitch="+nginx.URL("two", "sk_race_2"),
		"--dest", fmt.Sprintf("srt://127.0.0.1:%d?streamid=race&passphrase=pass-race-0123", srt.Port),
		"--dest", "file://"+rec)
	cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+t.TempDir())
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second)
	nginx.Kill()
	time.Sleep(time.Second)
	nginx.Restart(t) // both RTMP destinations reconnect
	err := cmd.Wait()
	if ctx.Err() != nil {
		t.Fatalf("onair -race did not finish\n%s", errb.String())
	}
	checkNoRace(t, errb.String())
	if err != nil {
		t.Fatalf("onair -race: %v\n%s", err, errb.String())
	}
	if sum := summary(t, out.String()); sum["reached"] != 4 {
		t.Errorf("summary %v: want all 4 destinations reached", sum)
	}
	if strings.Count(errb.String(), "/one/****: live") < 2 {
		t.Errorf("the RTMP destination did not come back after its server restarted:\n%s", errb.String())
	}
	if p := testpeer.FFprobe(t, rec); len(p.Packets) == 0 {
		t.Error("the recording is empty")
	}
}
