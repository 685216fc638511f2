// Command screenshot runs the studio window under Xvfb against local
// servers and writes PNGs of it (make screenshot): the idle studio, the
// destinations editor, the pre-flight panel, live with two healthy
// destinations, and live with one of them reconnecting (its server
// stopped). Stream keys in the profile are fake; none may show.
//
//	go run ./bench/screenshot -out docs/screenshots
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"onair/internal/testpeer"
	"onair/studio"
)

const width, height = 1280, 800 // the window's first size

func main() {
	out := flag.String("out", filepath.Join("docs", "screenshots"), "where to write the PNGs")
	flag.Parse()
	p, err := testpeer.NewProgram("onair-screenshot-", false, func(msg string) {
		fmt.Fprintln(os.Stderr, "screenshot:", msg)
		os.Exit(1)
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "screenshot:", err)
		os.Exit(1)
	}
	err = run(p, *out)
	p.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, "screenshot:", err)
		os.Exit(1)
	}
}

func run(p *testpeer.Program, out string) error {
	testpeer.Require(p, "nginx", "Xvfb", "ffmpeg")
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	dir := p.TempDir()
	build := exec.Command("go", "build", "-o", dir+"/", "./cmd/onair-studio")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("building: %w", err)
	}
	a := testpeer.StartNginxRTMP(p, "app")
	b := testpeer.StartNginxRTMP(p, "live")
	x := testpeer.StartXvfb(p, width, height)

	prof := studio.DefaultProfile()
	prof.Canvas = studio.Canvas{Width: 1280, Height: 720, FPS: 30}
	prof.Video.BitrateKbps = 2500
	prof.Destinations = []studio.Destination{
		{Name: "Twitch", URL: a.URL("app", "live_123456789_FAKEKEYfakekey")},
		{Name: "Kick", URL: b.URL("live", "sk_us-west-2_FAKEKEY")},
	}
	config := filepath.Join(dir, "config")
	if err := os.MkdirAll(filepath.Join(config, "onair"), 0o700); err != nil {
		return err
	}
	js, _ := json.MarshalIndent(prof, "", "  ")
	if err := os.WriteFile(filepath.Join(config, "onair", "profile.json"), js, 0o600); err != nil {
		return err
	}
	studioAt := func(extra ...string) (stop func(), err error) {
		cmd := exec.Command(filepath.Join(dir, "onair-studio"))
		cmd.Env = append(append(os.Environ(), "XDG_CONFIG_HOME="+config, "DISPLAY="+x.Display), extra...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		log, _ := os.Create(filepath.Join(dir, "studio.log"))
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		done := make(chan struct{})
		go func() { cmd.Wait(); log.Close(); close(done) }()
		return func() {
			syscall.Kill(cmd.Process.Pid, syscall.SIGTERM)
			select {
			case <-done:
			case <-time.After(15 * time.Second):
				syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
				<-done
			}
		}, nil
	}
	shoot := func(name string) error {
		path := filepath.Join(out, name+".png")
		o, err := exec.Command("ffmpeg", "-nostdin", "-loglevel", "error", "-f", "x11grab", "-draw_mouse", "0",
			"-video_size", fmt.Sprintf("%dx%d", width, height), "-i", x.Display, "-frames:v", "1", "-y", path).CombinedOutput()
		if err != nil {
			return fmt.Errorf("x11grab: %v: %s", err, o)
		}
		fmt.Println(path)
		return nil
	}
	for _, s := range []struct {
		name  string
		env   []string
		wait  time.Duration
		after func() error
	}{
		{"idle", nil, 6 * time.Second, nil},
		{"destinations-editor", []string{"ONAIR_STUDIO_OPEN=editor"}, 6 * time.Second, nil},
		{"preflight", []string{"ONAIR_STUDIO_OPEN=check"}, 14 * time.Second, nil},
		{"live-two-healthy", []string{"ONAIR_STUDIO_GO_LIVE=1"}, 9 * time.Second, func() error {
			b.Stop() // Kick's server goes away
			time.Sleep(4 * time.Second)
			return shoot("live-one-reconnecting")
		}},
	} {
		stop, err := studioAt(s.env...)
		if err != nil {
			return err
		}
		time.Sleep(s.wait)
		err = shoot(s.name)
		if err == nil && s.after != nil {
			err = s.after()
		}
		stop()
		if err != nil {
			return err
		}
	}
	return nil
}
