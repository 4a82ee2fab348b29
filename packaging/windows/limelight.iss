; Inno Setup 6 script for the LimeLight installer on Windows.
; packaging/build.py runs it after PyInstaller, as
;   iscc /DAppVersion=X.Y.Z /DAppPublisher=<name> /DAppURL=<homepage> /DBundleDir=<dist\limelight>
;        /DOutputDir=<dist> /DSetupIcon=<limelight.ico> packaging\windows\limelight.iss
; (publisher and homepage come from packaging/project.toml).
; Per-user install by default (no administrator prompt); the setup wizard offers an all-users install too.

#ifndef AppVersion
  #error Pass /DAppVersion=X.Y.Z (packaging/build.py does)
#endif
#ifndef BundleDir
  #define BundleDir "..\..\dist\limelight"
#endif
#ifndef AppPublisher
  #define AppPublisher "LimeLight maintainers"
#endif
#ifndef AppURL
  #error Pass /DAppURL=<homepage> (packaging/build.py does, from packaging/project.toml)
#endif
#ifndef OutputDir
  #define OutputDir "..\..\dist"
#endif

[Setup]
; The AppId identifies the installation for upgrades and uninstall: never change it.
AppId={{3E0F5B7A-7C1D-4D4B-9C35-5B1C7D0A1F6E}
AppName=LimeLight
AppVersion={#AppVersion}
AppPublisher={#AppPublisher}
AppPublisherURL={#AppURL}
AppSupportURL={#AppURL}
AppCopyright=LimeLight maintainers, MIT licence
; Shown on the wizard's licence page; the third-party notices are installed in {app}\_internal\licenses.
LicenseFile={#BundleDir}\_internal\licenses\LimeLight-LICENSE.txt
DefaultDirName={autopf}\LimeLight
DefaultGroupName=LimeLight
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir={#OutputDir}
OutputBaseFilename=LimeLight-{#AppVersion}-setup
#ifdef SetupIcon
SetupIconFile={#SetupIcon}
#endif
UninstallDisplayIcon={app}\limelight.exe
; LZMA2 with a large dictionary: the bundle is mostly shared libraries (Qt, FFmpeg, OpenCV), which pack well.
Compression=lzma2/max
SolidCompression=yes
LZMADictionarySize=262144
WizardStyle=modern
ChangesEnvironment=yes

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"
Name: "addtopath"; Description: "Add limelight-cli (the command-line tool) to PATH"; Flags: unchecked

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\LimeLight"; Filename: "{app}\limelight.exe"
Name: "{autodesktop}\LimeLight"; Filename: "{app}\limelight.exe"; Tasks: desktopicon

[Registry]
; Per-user PATH for a per-user install, system PATH for an all-users one; removed again on uninstall.
Root: HKA; Subkey: "{code:EnvironmentKey}"; ValueType: expandsz; ValueName: "Path"; \
    ValueData: "{olddata};{app}"; Tasks: addtopath; Check: NeedsAddPath(ExpandConstant('{app}'))

[Run]
Filename: "{app}\limelight.exe"; Description: "{cm:LaunchProgram,LimeLight}"; Flags: nowait postinstall skipifsilent

[Code]
function EnvironmentKey(Param: String): String;
begin
  if IsAdminInstallMode then
    Result := 'SYSTEM\CurrentControlSet\Control\Session Manager\Environment'
  else
    Result := 'Environment';
end;

function NeedsAddPath(Dir: String): Boolean;
var
  Path: String;
begin
  if not RegQueryStringValue(HKA, EnvironmentKey(''), 'Path', Path) then
    Path := '';
  Result := Pos(';' + Uppercase(Dir) + ';', ';' + Uppercase(Path) + ';') = 0;
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
var
  Path, Dir: String;
  P: Integer;
begin
  if CurUninstallStep <> usPostUninstall then
    Exit;
  if not RegQueryStringValue(HKA, EnvironmentKey(''), 'Path', Path) then
    Exit;
  Dir := ';' + ExpandConstant('{app}');
  P := Pos(Uppercase(Dir), Uppercase(Path));
  if P > 0 then
  begin
    Delete(Path, P, Length(Dir));
    RegWriteExpandStringValue(HKA, EnvironmentKey(''), 'Path', Path);
  end;
end;
