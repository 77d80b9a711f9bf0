package goenv

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"sort"
	"time"

	"github.com/gopolicy/gopolicy/pkg/facts"
)

// goEnvTimeout bounds `go env -json`: a hung toolchain must not hang CI.
const goEnvTimeout = 20 * time.Second

// comparable are the variables whose value the go command reports the same
// way gopolicy computes it. GOENV, GODEBUG and the proxy variables are not
// part of go env's view of its own configuration, and CC/CXX and
// CGO_ENABLED depend on compiler probing the go command does differently.
var notCompared = map[string]bool{
	"HTTP_PROXY": true, "HTTPS_PROXY": true, "NO_PROXY": true, "GODEBUG": true,
}

// CompareWithGoCommand runs `go env -json` with the same environment in dir
// and records every variable where it disagrees with the computed value.
// A missing go command is recorded, not an error: gopolicy works without a
// toolchain.
func CompareWithGoCommand(ctx context.Context, r *Resolved, env map[string]string, dir string) {
	gc := &r.Env.GoCommand
	goExe := LookGo(env)
	if goExe == "" {
		gc.Error = errNoGo.Error()
		return
	}
	gc.Path = goExe
	ctx, cancel := context.WithTimeout(ctx, goEnvTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, goExe, "env", "-json")
	cmd.Dir = dir
	cmd.Env = envList(env)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		gc.Error = "go env -json: " + exitDetail(err, stderr.Bytes())
		return
	}
	var all map[string]string
	if err := json.Unmarshal(stdout.Bytes(), &all); err != nil {
		gc.Error = "go env -json: decode output: " + err.Error()
		return
	}
	gc.Ran = true
	gc.Values = map[string]string{}
	names := make([]string, 0, len(r.Env.Vars))
	for name := range r.Env.Vars {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		got, ok := all[name]
		if !ok || notCompared[name] {
			continue
		}
		secrets := sortSecrets(append(append([]string(nil), r.secrets[name]...), Secrets(name, got)...))
		gc.Values[name] = redact(got, secrets)
		computed, ok := r.raw[name]
		if !ok {
			computed = r.Env.Vars[name].Value
		}
		if name == "GOWORK" && computed == "" {
			// Unset GOWORK means "search for go.work": go env reports the
			// file it found, which the gowork facts record; that is not a
			// different setting.
			continue
		}
		if computed != got {
			gc.Disagreements = append(gc.Disagreements, facts.EnvDisagreement{Var: name, Computed: redact(computed, secrets), GoCommand: gc.Values[name]})
		}
	}
}

func envList(env map[string]string) []string {
	list := make([]string, 0, len(env))
	for k, v := range env {
		list = append(list, k+"="+v)
	}
	sort.Strings(list)
	return list
}
