// The scripting contract (examples/automation/README.md), checked from JScript:
//     cscript //nologo contract.js Ole32Bindings.Contract
// Prints "ok NAME" or "FAIL NAME: why" per check, then "VERDICT <ok> <failed>" as the last line (Wine's cscript
// prints nothing and exits 0 on an uncaught error: every step runs inside try/catch).
var nOk = 0, nFail = 0;

function check(name, fn) {
    try {
        if (fn()) {
            nOk++;
            WScript.Echo("ok " + name);
        } else {
            nFail++;
            WScript.Echo("FAIL " + name + ": wrong result");
        }
    } catch (e) {
        nFail++;
        WScript.Echo("FAIL " + name + ": " + (e.number >>> 0).toString(16) + " " + e.message);
    }
}

var progid = WScript.Arguments(0);
var o = null;
try {
    o = new ActiveXObject(progid);
} catch (e) {
    WScript.Echo("FAIL create: " + (e.number >>> 0).toString(16) + " " + e.message);
}
if (o === null) {
    WScript.Echo("VERDICT 0 1");
    WScript.Quit(1);
}
nOk++;
WScript.Echo("ok create");

check("echo_int", function () { var r = o.Echo(42); return typeof r === "number" && r === 42; });
check("echo_double", function () { return o.Echo(2.25) === 2.25; });
check("echo_string", function () { return o.Echo("h\u00e9llo") === "h\u00e9llo"; });
check("echo_bool", function () { return o.Echo(true) === true; });
check("echo_null", function () { return o.Echo(null) === null; });
check("echo_object", function () { return o.Echo(o) === o; });
check("echo_safearray", function () {
    var a = new VBArray(o.Echo(o.Squares(3))).toArray();
    return a.length === 3 && a[2] === 4;
});
check("add_numbers", function () { return o.Add(2, 3) === 5; });
check("add_strings", function () { return o.Add("ab", "cd") === "abcd"; });
check("join_defaults", function () { return o.Join("x") === "x-"; });
check("join_all", function () { return o.Join("x", "+", "y") === "x+y"; });
check("name_put_get", function () { o.Name = "Zed"; return o.Name === "Zed"; });
check("self_identity", function () { return o.Self === o; });
check("items_count_and_item", function () {
    var col = o.Items(3);
    return col.Count === 3 && col.Item(1) === "item1";
});
check("items_enumerator", function () {
    var s = "";
    for (var e = new Enumerator(o.Items(3)); !e.atEnd(); e.moveNext()) s += e.item() + ";";
    return s === "item0;item1;item2;";
});
check("squares", function () {
    var v = new VBArray(o.Squares(4));
    var a = v.toArray();
    return v.lbound(1) === 0 && v.ubound(1) === 3 && a[3] === 9;
});
check("sum_of_safearray", function () { return o.Sum(o.Squares(4)) === 14; });
check("fail_message", function () {
    try {
        o.Fail("it broke");
    } catch (e) {
        return e.message === "it broke" && e.description === "it broke";
    }
    return false;
});

o = null;
WScript.Echo("VERDICT " + nOk + " " + nFail);
