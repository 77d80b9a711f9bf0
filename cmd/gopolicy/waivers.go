package main

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/gopolicy/gopolicy/pkg/waiver"
)

// defaultWaiverMaxDays is the longest a waiver may run, per profile, when
// the configuration does not say: production exceptions get re-reviewed
// at least every quarter.
var defaultWaiverMaxDays = map[string]int{"prod": 90}

// loadWaivers reads the waivers key of the configuration file, then each
// --waivers file, keeping every waiver's file:line.
func (a *app) loadWaivers(cmd *cobra.Command) ([]waiver.Waiver, error) {
	var all []waiver.Waiver
	if a.configFile != "" {
		data, err := os.ReadFile(a.configFile)
		if err != nil {
			return nil, fmt.Errorf("read config: %w", err)
		}
		ws, err := waiver.ParseConfig(a.configFile, data)
		if err != nil {
			return nil, fmt.Errorf("waivers: %w", err)
		}
		all = append(all, ws...)
	}
	files, err := cmd.Flags().GetStringArray("waivers")
	if err != nil {
		return nil, err
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("read waivers: %w", err)
		}
		ws, err := waiver.ParseFile(file, data)
		if err != nil {
			return nil, fmt.Errorf("waivers: %w", err)
		}
		all = append(all, ws...)
	}
	return all, nil
}

type waiverSettings struct {
	opts    waiver.Options
	horizon map[string]time.Duration
}

// waiverOptions reads --now and waiver_max_days ({profile: days}; 0 means
// no limit).
func (a *app) waiverOptions() (waiverSettings, error) {
	ws := waiverSettings{opts: waiver.Options{Now: time.Now().UTC()}, horizon: map[string]time.Duration{}}
	if s := a.v.GetString("now"); s != "" {
		t, err := waiver.ParseTime(s)
		if err != nil {
			return ws, fmt.Errorf("invalid --now %q: want a date (2026-12-31) or an RFC 3339 time", s)
		}
		// A bare date means that day has begun, not ended.
		if _, dateErr := time.Parse(time.DateOnly, s); dateErr == nil {
			t = t.AddDate(0, 0, -1)
		}
		ws.opts.Now = t
	}
	days := map[string]int{}
	for k, v := range defaultWaiverMaxDays {
		days[k] = v
	}
	if a.v.InConfig("waiver_max_days") {
		raw, ok := a.v.Get("waiver_max_days").(map[string]any)
		if !ok {
			return ws, fmt.Errorf("config %s: waiver_max_days must map profile names to days", a.configFile)
		}
		for profile, v := range raw {
			n, ok := v.(int)
			if !ok || n < 0 {
				return ws, fmt.Errorf("config %s: waiver_max_days.%s must be a number of days (0 for no limit)", a.configFile, profile)
			}
			days[profile] = n
		}
	}
	for profile, n := range days {
		if n > 0 {
			ws.horizon[profile] = time.Duration(n) * 24 * time.Hour
		}
	}
	return ws, nil
}
