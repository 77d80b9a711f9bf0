package gopolicy.policies.env.layers_test

import data.gopolicy.fixtures
import data.gopolicy.policies.env.layers

test_no_conflicts_pass if {
	count(layers.violation) == 0 with input as fixtures.clean
}

test_shadowed_file_value_is_reported if {
	inp := object.union(fixtures.clean, {"goenv": {"conflicts": [{
		"var": "GOFLAGS", "kind": "shadowed",
		"winner": {"source": "process", "value": "-mod=mod"},
		"shadowed": {"source": "goenv", "value": "-mod=readonly", "file": "/home/u/.config/go/env", "line": 2},
	}]}})
	some v in layers.violation with input as inp
	contains(v.msg, "shadows \"-mod=readonly\"")
}

test_empty_process_value_is_reported if {
	inp := object.union(fixtures.clean, {"goenv": {"conflicts": [{
		"var": "GOPROXY", "kind": "empty-ignored",
		"winner": {"source": "goenv", "value": "https://corp.example", "file": "/home/u/.config/go/env", "line": 1},
		"shadowed": {"source": "process", "value": ""},
	}]}})
	some v in layers.violation with input as inp
	v.evidence[0].source == "/home/u/.config/go/env:1"
}

test_go_command_disagreement_is_reported if {
	inp := object.union(fixtures.clean, {"goenv": {"go_command": {"disagreements": [{"var": "GOPROXY", "computed": "a", "go_command": "b"}]}}})
	count(layers.violation) == 1 with input as inp
}
