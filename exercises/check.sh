#!/usr/bin/env bash
# Proves that the exercise graders can both fail and pass (CI runs this after the test suite):
#   1. with the library plugged in (-p:Solutions=true, Solutions/WeekNN/*.cs), every grader passes;
#   2. on the skeletons the learner starts from (WeekNN/*.cs), every grader fails, each with NotImplementedException.
# The skeleton build is done last, so bin/ is left as a learner finds it.
set -euo pipefail
cd "$(dirname "$0")/.."
project=exercises/Sharpformer.Exercises.Tests
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

# count OUTCOME FILE: how many test results of a .trx file have that outcome.
count() { grep -o "<UnitTestResult [^>]*outcome=\"$1\"" "$2" | wc -l; }

echo "exercises: graders with the library's implementation plugged in"
dotnet test "$project" -c Release -p:Solutions=true --logger "trx;LogFileName=solutions.trx" --results-directory "$results" \
    > "$results/solutions.log" 2>&1 || { cat "$results/solutions.log"; echo "exercises: a grader fails on the solutions"; exit 1; }
passed=$(count Passed "$results/solutions.trx")
[ "$passed" -gt 0 ] || { echo "exercises: no grader ran"; exit 1; }
echo "exercises: all $passed graders pass on the solutions"

echo "exercises: graders on the skeletons"
if dotnet test "$project" -c Release --logger "trx;LogFileName=skeletons.trx" --results-directory "$results" \
    > "$results/skeletons.log" 2>&1; then
    echo "exercises: the graders all pass on the skeletons: they cannot fail"; exit 1
fi
failed=$(count Failed "$results/skeletons.trx")
unwritten=$(grep -o "System.NotImplementedException" "$results/skeletons.trx" | wc -l)
total=$(grep -o "<UnitTestResult " "$results/skeletons.trx" | wc -l)
if [ "$failed" -ne "$passed" ] || [ "$total" -ne "$passed" ] || [ "$unwritten" -lt "$failed" ]; then
    cat "$results/skeletons.log"
    echo "exercises: on the skeletons $failed of $total graders fail ($unwritten NotImplementedException); expected all $passed"
    exit 1
fi
echo "exercises: all $failed graders fail on the skeletons, each with NotImplementedException"
