' The events example from VBScript (README.md): WScript.ConnectObject connects the subs named "clock_" + event to
' the Clock's default source (DClockEvents), then Start fires Tick 0..2 and Alarm "done".
'     cscript //nologo events.vbs Ole32Bindings.Clock
' Prints "ticks <n> alarms <n>" (Windows: ticks 3 alarms 1). Wine 8's cscript does not implement ConnectObject
' (E_NOTIMPL, VBScript error 445): it prints "ConnectObject failed 445" and no event arrives (docs/wine.md).
Option Explicit
Dim clock, ticks, alarms
ticks = 0
alarms = 0
Set clock = WScript.CreateObject(WScript.Arguments(0))
On Error Resume Next
WScript.ConnectObject clock, "clock_"
If Err.Number <> 0 Then WScript.Echo "ConnectObject failed " & Err.Number & " " & Err.Description
Err.Clear
On Error Goto 0
clock.Start 3
WScript.Echo "ticks " & ticks & " alarms " & alarms
On Error Resume Next
WScript.DisconnectObject clock
Set clock = Nothing

Sub clock_Tick(n)
    ticks = ticks + 1
End Sub

Sub clock_Alarm(text)
    alarms = alarms + 1
    WScript.Echo "alarm " & text
End Sub
