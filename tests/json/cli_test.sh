#!/bin/sh
# pt-jsonschema from the shell: output format, first error first, exit
# codes 0 (valid), 1 (invalid), 2 (bad schema, bad file, bad usage).
#   cli_test.sh PATH/TO/pt-jsonschema
set -u
tool=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fails=0

expect() { # expect NAME WANT_RC WANT_STDOUT_FILE_OR_- CMD...
    name=$1 want_rc=$2 want_out=$3
    shift 3
    "$@" >"$dir/out" 2>"$dir/err"
    rc=$?
    if [ "$rc" != "$want_rc" ]; then
        echo "FAIL $name: exit $rc, want $want_rc"; cat "$dir/out" "$dir/err"; fails=$((fails + 1)); return
    fi
    if [ "$want_out" != - ] && ! diff -u "$want_out" "$dir/out"; then
        echo "FAIL $name: output differs"; fails=$((fails + 1)); return
    fi
    echo "ok   $name"
}

cat >"$dir/schema.json" <<'J'
{"type": "object",
 "properties": {"first_name": {"type": "string"}, "height": {"type": "integer"},
                "tags": {"items": {"enum": ["u", "v"]}}},
 "required": ["first_name", "last_name"]}
J
echo '{"first_name": "Donald", "last_name": "Duck"}' >"$dir/good.json"
echo '{"first_name": 1, "height": "abc", "tags": ["u", "w"]}' >"$dir/bad.json"
echo '[1]' >"$dir/array.json"
echo '{"type": "strin"}' >"$dir/badschema.json"
echo '{"type": ' >"$dir/broken.json"

: >"$dir/empty"
expect valid 0 "$dir/empty" "$tool" "$dir/schema.json" "$dir/good.json"

cat >"$dir/want" <<'J'
/first_name: 1 is not of type 'string'
/height: 'abc' is not of type 'integer'
/tags/1: 'w' is not one of ['u', 'v']
(root): 'last_name' is a required property
J
expect invalid 1 "$dir/want" "$tool" "$dir/schema.json" "$dir/bad.json"
echo "(root): [1] is not of type 'object'" >"$dir/want"
expect root-type 1 "$dir/want" "$tool" "$dir/schema.json" "$dir/array.json"
expect stdin 1 "$dir/want" sh -c "\"$tool\" \"$dir/schema.json\" - <\"$dir/array.json\""
expect bad-schema 2 "$dir/empty" "$tool" "$dir/badschema.json" "$dir/good.json"
grep -q "invalid schema at '/type'" "$dir/err" || { echo "FAIL bad-schema reason: $(cat "$dir/err")"; fails=$((fails + 1)); }
expect missing-schema 2 "$dir/empty" "$tool" "$dir/nope.json" "$dir/good.json"
grep -q "nope.json" "$dir/err" || { echo "FAIL missing-schema reason"; fails=$((fails + 1)); }
expect broken-instance 2 "$dir/empty" "$tool" "$dir/schema.json" "$dir/broken.json"
grep -q "broken.json" "$dir/err" || { echo "FAIL broken-instance reason"; fails=$((fails + 1)); }
expect usage 2 "$dir/empty" "$tool" "$dir/schema.json"
# instances as Python's json.loads reads them: big integers, NUL, lone surrogates
echo '{"maximum": 100, "type": "integer"}' >"$dir/max.json"
echo '123456789012345678901234567890' >"$dir/big.json"
echo "(root): 123456789012345678901234567890 is greater than the maximum of 100" >"$dir/want"
expect big-integer 1 "$dir/want" "$tool" "$dir/max.json" "$dir/big.json"
echo '{"maxLength": 2}' >"$dir/maxlen.json"
printf '%s\n' '"\ud800\u0000x"' >"$dir/sur.json"
printf '%s\n' "(root): '\\ud800\\x00x' is too long" >"$dir/want"
expect surrogate 1 "$dir/want" "$tool" "$dir/maxlen.json" "$dir/sur.json"
echo '{"format": "email"}' >"$dir/fmt.json"
echo '"nope"' >"$dir/nope.json"
expect format-on 1 - "$tool" "$dir/fmt.json" "$dir/nope.json"
expect format-off 0 "$dir/empty" "$tool" --no-format "$dir/fmt.json" "$dir/nope.json"
echo '{"$ref": "http://example.com/int.json"}' >"$dir/ref.json"
echo '{"type": "integer"}' >"$dir/int.json"
expect remote-unknown 2 - "$tool" "$dir/ref.json" "$dir/good.json"
echo "(root): {'first_name': 'Donald', 'last_name': 'Duck'} is not of type 'integer'" >"$dir/want"
expect remote 1 "$dir/want" "$tool" -r "http://example.com/int.json=$dir/int.json" "$dir/ref.json" "$dir/good.json"

[ "$fails" = 0 ] && echo "all cli cases passed"
exit "$fails"
