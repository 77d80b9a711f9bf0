# Helpers of the drift policies: they judge a drift document (see
# pkg/drift), not a facts document.
package gopolicy.drift.lib

# evidence is one entry per environment: where the fact is and its value there.
evidence(d) := [e |
	some v in d.values
	e := {
		"fact": sprintf("%s#%s", [v.environment, d.fact]),
		"value": present_value(v),
		"source": object.get(v, "source", ""),
		"file": object.get(v, "file", ""),
		"line": object.get(v, "line", 0),
	}
]

present_value(v) := v.value if v.present

present_value(v) := "(absent)" if not v.present

# values_text says which value each environment has.
values_text(d) := concat(", ", [sprintf("%v in %s", [shown(v), v.environment]) | some v in d.values])

shown(v) := "(empty)" if {
	v.present
	v.value == ""
}

shown(v) := present_value(v) if not empty(v)

empty(v) if {
	v.present
	v.value == ""
}

# differences of one category.
differences(category) := [d | some d in input.drift.differences; d.category == category]
