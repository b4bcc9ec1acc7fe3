//go:build !race

package service

// raceEnabled is true in a build with the race detector, whose shadow memory multiplies the
// resident set.
const raceEnabled = false
