package main

import (
	"encoding/json"
	"reflect"

	"github.com/rogpeppe/go-internal/testscript"
)

func init() {
	scriptCommands["report-equal"] = cmdReportEqual
}

// report-equal A B checks that two report.json files say the same, apart
// from the run's wall-clock times (metadata started and finished) and the
// shard, which only shards have.
func cmdReportEqual(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: report-equal A B")
	}
	read := func(path string) map[string]any {
		var m map[string]any
		ts.Check(json.Unmarshal([]byte(ts.ReadFile(path)), &m))
		meta, _ := m["metadata"].(map[string]any)
		delete(meta, "started")
		delete(meta, "finished")
		return m
	}
	a, b := read(args[0]), read(args[1])
	eq := reflect.DeepEqual(a, b)
	if eq == neg {
		if neg {
			ts.Fatalf("%s and %s are the same", args[0], args[1])
		}
		ja, _ := json.MarshalIndent(a, "", " ")
		jb, _ := json.MarshalIndent(b, "", " ")
		ts.Logf("%s:\n%s\n%s:\n%s", args[0], ja, args[1], jb)
		ts.Fatalf("%s and %s differ", args[0], args[1])
	}
}
