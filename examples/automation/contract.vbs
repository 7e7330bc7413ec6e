' The scripting contract (examples/automation/README.md), checked from VBScript:
'     cscript //nologo contract.vbs Ole32Bindings.Contract
' Prints "ok NAME" or "FAIL NAME: why" per check, then "VERDICT <ok> <failed>" as the last line. Wine's cscript
' prints nothing and exits 0 on an uncaught error, so every step is guarded and the caller compares the names of
' the checks that passed with the full list (a check whose statement failed prints nothing, and is missed).
Option Explicit
On Error Resume Next

Dim nOk, nFail
nOk = 0
nFail = 0

Sub Report(name, cond)
    If Err.Number <> 0 Then
        nFail = nFail + 1
        WScript.Echo "FAIL " & name & ": error " & Hex(Err.Number) & " " & Err.Description
        Err.Clear
    ElseIf cond Then
        nOk = nOk + 1
        WScript.Echo "ok " & name
    Else
        nFail = nFail + 1
        WScript.Echo "FAIL " & name & ": wrong result"
    End If
End Sub

Dim progid, o, r, a, b, s, n, i, item, arr2(1, 2), col
progid = WScript.Arguments(0)
Set o = CreateObject(progid)
If Err.Number <> 0 Or Not IsObject(o) Then
    WScript.Echo "FAIL create: " & Hex(Err.Number) & " " & Err.Description
    WScript.Echo "VERDICT 0 1"
    WScript.Quit 1
End If
Report "create", True

' Echo: the VARIANT comes back unchanged, type included.
Err.Clear : r = o.Echo(5) : Report "echo_integer", VarType(r) = vbInteger And r = 5
Err.Clear : r = o.Echo(CLng(70000)) : Report "echo_long", VarType(r) = vbLong And r = 70000
Err.Clear : r = o.Echo(CByte(200)) : Report "echo_byte", VarType(r) = vbByte And r = 200
Err.Clear : r = o.Echo(CSng(1.5)) : Report "echo_single", VarType(r) = vbSingle And r = 1.5
Err.Clear : r = o.Echo(2.25) : Report "echo_double", VarType(r) = vbDouble And r = 2.25
' (Wine 8's CCur("922337203685477.5807"), the largest currency, overflows: docs/wine.md)
Err.Clear : r = o.Echo(CCur("-1234567.8901")) : Report "echo_currency", VarType(r) = vbCurrency And r = CCur("-1234567.8901")
Err.Clear : r = o.Echo(#1899-12-29 06:00:00#) : Report "echo_date_before_1899_12_30", VarType(r) = vbDate And r = #1899-12-29 06:00:00#
Err.Clear : r = o.Echo(#2026-12-01 13:14:15#) : Report "echo_date", VarType(r) = vbDate And r = #2026-12-01 13:14:15#
Err.Clear : r = o.Echo("a" & Chr(0) & "b") : Report "echo_string_with_nul", VarType(r) = vbString And Len(r) = 3 And r = "a" & Chr(0) & "b"
Err.Clear : r = o.Echo(True) : Report "echo_boolean", VarType(r) = vbBoolean And r = True
Err.Clear : r = o.Echo(Null) : Report "echo_null", IsNull(r)
Err.Clear : r = o.Echo(Empty) : Report "echo_empty", IsEmpty(r)
Err.Clear : r = o.Echo(Array(1, "two", 3.5)) : Report "echo_array", IsArray(r) And UBound(r) = 2 And r(1) = "two" And VarType(r(2)) = vbDouble
arr2(0, 0) = 1 : arr2(1, 2) = "x"
Err.Clear : r = o.Echo(arr2) : Report "echo_2d_array", IsArray(r) And UBound(r, 1) = 1 And UBound(r, 2) = 2 And r(1, 2) = "x" And r(0, 0) = 1
Err.Clear : Set r = o.Echo(o) : Report "echo_object", r Is o

' Add: VarAdd's rules.
Err.Clear : r = o.Add(2, 3) : Report "add_numbers", r = 5
Err.Clear : r = o.Add(2, 0.5) : Report "add_promotes", r = 2.5 And VarType(r) = vbDouble
Err.Clear : r = o.Add("ab", "cd") : Report "add_strings", r = "abcd"

' Join: optional separator with a default, optional last argument.
Err.Clear : r = o.Join("x") : Report "join_defaults", r = "x-"
Err.Clear : r = o.Join("x", "+", "y") : Report "join_all", r = "x+y"
Err.Clear : r = o.Join("x", , "y") : Report "join_omitted_middle", r = "x-y"

' Name (read/write), Self (read-only, same identity).
Err.Clear : o.Name = "Zed" : r = o.Name : Report "name_put_get", r = "Zed"
Err.Clear : Set r = o.Self : Report "self_is", r Is o

' Items: Count, Item (default member), For Each.
Err.Clear : Set col = o.Items(3) : Report "items_count", col.Count = 3
Err.Clear : r = col.Item(1) : Report "items_item", r = "item1"
Err.Clear : r = col(2) : Report "items_default_member", r = "item2"
s = ""
Err.Clear
For Each item In col
    s = s & item & ";"
Next
Report "items_for_each", s = "item0;item1;item2;"

' Swap: both arguments ByRef.
a = "left" : b = 7
Err.Clear : o.Swap a, b : Report "swap_byref", a = 7 And b = "left"

' Squares: a SAFEARRAY of VARIANT, lower bound 0, VT_I4 elements.
Err.Clear : r = o.Squares(4) : Report "squares", IsArray(r) And LBound(r) = 0 And UBound(r) = 3 And r(3) = 9 And VarType(r(2)) = vbLong

' Sum: a 1-D array of numbers.
Err.Clear : r = o.Sum(Array(1, 2, 3.5)) : Report "sum", r = 6.5

' Fail: DISP_E_EXCEPTION with the message and the source.
Err.Clear
o.Fail "it broke"
If Err.Number <> 0 And Err.Description = "it broke" And Err.Source = "Ole32Bindings.Contract" Then
    Err.Clear
    Report "fail_description_and_source", True
Else
    WScript.Echo "FAIL fail_description_and_source: " & Hex(Err.Number) & " [" & Err.Description & "] [" & Err.Source & "]"
    nFail = nFail + 1
    Err.Clear
End If

Set col = Nothing
Set r = Nothing
Set o = Nothing
WScript.Echo "VERDICT " & nOk & " " & nFail
