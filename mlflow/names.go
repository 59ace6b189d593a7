package mlflow

import (
	"math/rand/v2"
	"strconv"
)

// Word lists for generated run names. MLflow names unnamed runs
// "<adjective>-<noun>-<0..1000>" in at most 20 characters; these are our own
// lists with the same shape.
var (
	nameAdjectives = []string{
		"able", "agile", "amber", "bold", "brave", "bright", "calm", "clever", "crisp", "dapper",
		"eager", "early", "fair", "fancy", "fast", "gentle", "glad", "grand", "happy", "hardy",
		"honest", "jolly", "keen", "kind", "lively", "lucky", "merry", "mighty", "neat", "nimble",
		"noble", "polite", "proud", "quick", "quiet", "rapid", "shy", "silent", "sleek", "smart",
		"steady", "sturdy", "sunny", "swift", "tidy", "vivid", "warm", "wise", "witty", "zesty",
	}
	nameNouns = []string{
		"ant", "badger", "bat", "bear", "bee", "bison", "boar", "carp", "cat", "colt",
		"crab", "crane", "crow", "deer", "dove", "duck", "eel", "elk", "finch", "fox",
		"frog", "gnat", "goat", "hare", "hawk", "heron", "ibis", "jay", "koala", "lark",
		"lemur", "lion", "lynx", "mole", "moth", "newt", "otter", "owl", "panda", "quail",
		"robin", "seal", "shrew", "snail", "stork", "swan", "tern", "toad", "vole", "wren",
	}
)

// generateRunName returns a name such as "brave-otter-271".
func generateRunName() string {
	for range 10 {
		name := nameAdjectives[rand.IntN(len(nameAdjectives))] + "-" +
			nameNouns[rand.IntN(len(nameNouns))] + "-" + strconv.Itoa(rand.IntN(1001))
		if len(name) <= 20 {
			return name
		}
	}
	return "run-" + strconv.Itoa(rand.IntN(1001))
}
