"""Demo knowledge articles (English and Swedish), used by ``knowledge.demo``.

Each entry: key, language, category path, tags, audience, final state, title, summary, body and
optionally ``v2`` (a later published version: new body and a change note), ``revision`` (an open
edit of a published article), ``review_due`` (the review date lies in the past) and ``author``.
"""

# ruff: noqa: E501

ARTICLES = [
    # --- English --------------------------------------------------------------------------------
    {
        "key": "printer-offline",
        "language": "en",
        "category": "Hardware > Printer",
        "tags": ["printer", "offline", "windows"],
        "state": "published",
        "title": "Printer shows as “Offline”",
        "summary": "Windows lists your printer as Offline and print jobs stay in the queue. Bring the printer back online in a few steps.",
        "body": """When a printer is **offline**, Windows cannot reach it, so documents wait in the print queue.

## Check the printer itself
1. Make sure the printer is switched on and shows no error on its display.
2. Check that the network cable is plugged in (or that the printer shows a Wi-Fi symbol).
3. Note the printer name on the sticker on the front, for example `PRN-STO-0412`.

## Bring it back online in Windows
1. Open **Settings › Bluetooth & devices › Printers & scanners**.
2. Select the printer and choose **Open print queue**.
3. Open the **Printer** menu and clear **Use Printer Offline**.
4. Cancel any stuck documents and print again.

If the printer is still offline, restart your computer: it reconnects to the print server.
""",
        "v2": {
            "note": "Added the step to remove and add the printer again.",
            "body": """When a printer is **offline**, Windows cannot reach it, so documents wait in the print queue.

## Check the printer itself
1. Make sure the printer is switched on and shows no error on its display.
2. Check that the network cable is plugged in (or that the printer shows a Wi-Fi symbol).
3. Note the printer name on the sticker on the front, for example `PRN-STO-0412`.

## Bring it back online in Windows
1. Open **Settings › Bluetooth & devices › Printers & scanners**.
2. Select the printer and choose **Open print queue**.
3. Open the **Printer** menu and clear **Use Printer Offline**.
4. Cancel any stuck documents and print again.

## Still offline?
1. Restart your computer: it reconnects to the print server.
2. Remove the printer (**Printers & scanners › Remove**) and add it again from `\\\\print01`, see [Add a network printer](/portal/kb/).

If the printer stays offline for everybody, report an incident and include the printer name from the sticker.
""",
        },
        "views": 140,
    },
    {
        "key": "printer-add",
        "language": "en",
        "category": "Hardware > Printer",
        "tags": ["printer", "setup"],
        "state": "published",
        "title": "Add a network printer",
        "summary": "Install one of the office printers on your Windows computer from the print server.",
        "body": """All office printers are shared from the print server `print01`.

1. Press **Windows + R**, type `\\\\print01` and press **Enter**.
2. Find the printer by the name on its sticker (for example `PRN-STO-0412`).
3. Double-click it. Windows installs the driver and adds the printer.
4. Print a test page: **Settings › Printers & scanners › (printer) › Print test page**.

Tip: choose the printer nearest to you as **default** so that documents do not end up on another floor.
""",
        "views": 60,
    },
    {
        "key": "printer-toner",
        "language": "en",
        "category": "Hardware > Printer",
        "tags": ["printer", "toner"],
        "state": "published",
        "title": "Replace the toner cartridge",
        "summary": "The printer says toner is low or empty. Spare cartridges are in the supply cabinet on every floor.",
        "body": """1. Take a new cartridge of the right model from the supply cabinet (the model is printed inside the front cover).
2. Open the front cover and pull the old cartridge straight out.
3. Shake the new cartridge gently, remove the protective strip and push it in until it clicks.
4. Close the cover. Put the old cartridge in the recycling box next to the cabinet.

When the last spare cartridge is taken, report it so that facilities can order more.
""",
        "views": 35,
    },
    {
        "key": "printer-jam",
        "language": "en",
        "category": "Hardware > Printer",
        "tags": ["printer", "paper jam"],
        "state": "published",
        "title": "Clear a paper jam",
        "summary": "Remove jammed paper safely and get printing again.",
        "body": """1. Switch the printer off and wait a minute: the fuser gets hot.
2. Open the doors shown on the printer's display, one at a time.
3. Pull jammed paper out **slowly with both hands**, in the direction the paper travels.
4. Check that no torn pieces are left, close the doors and switch the printer on.

Jams keep coming back? Fan the paper before loading it, and do not overfill the tray.
""",
        "views": 28,
    },
    {
        "key": "print-spooler",
        "language": "en",
        "category": "Hardware > Printer",
        "tags": ["printer", "print server", "spooler"],
        "audience": "agents",
        "state": "published",
        "title": "Restart the print spooler on the print server",
        "summary": "For agents: when many users report offline printers at once, restart the spooler on print01.",
        "body": """Use this when **several** callers report printers offline at the same time.

1. Sign in to `print01` with your admin account.
2. In an elevated PowerShell: `Restart-Service -Name Spooler -Force`
3. Check the event log **PrintService/Admin** for driver errors.
4. Ask one caller to print a test page.

If the spooler stops again within an hour, escalate to the Infrastructure group and link the incidents to a problem.
""",
        "views": 22,
    },
    {
        "key": "password-reset",
        "language": "en",
        "category": "Access > Password",
        "tags": ["password", "account", "self-service"],
        "state": "published",
        "title": "Reset your password",
        "summary": "Forgot your password? Reset it yourself in the password portal, any time of day.",
        "body": """You can reset your password yourself at **https://password.example.com**.

1. Open the password portal and enter your username.
2. Confirm with the code sent to your registered mobile phone.
3. Choose a new password: at least 12 characters; a short sentence is easy to remember.
4. Sign in again on your computer and phone with the new password.

Your old password stops working everywhere at once, including e-mail on your phone.
""",
        "v2": {
            "note": "Verification now uses the authenticator app; added what to do without it.",
            "body": """You can reset your password yourself at **https://password.example.com**.

1. Open the password portal and enter your username.
2. Approve the sign-in request in the **authenticator app** on your phone.
3. Choose a new password: at least 12 characters; a short sentence is easy to remember.
4. Sign in again on your computer and phone with the new password.

Your old password stops working everywhere at once, including e-mail on your phone.

## No access to the authenticator app?
Call the service desk. We verify your identity and reset the password for you.
""",
        },
        "views": 180,
    },
    {
        "key": "password-expired",
        "language": "en",
        "category": "Access > Password",
        "tags": ["password", "expired"],
        "state": "published",
        "title": "Your password has expired",
        "summary": "Passwords expire every 180 days. Change yours before it expires to avoid being locked out.",
        "body": """You are reminded by e-mail 14 days before your password expires.

- **Before it expires:** press **Ctrl + Alt + Del › Change a password** on your office computer.
- **Already expired:** use the password portal to set a new one, see *Reset your password*.

After the change, update the password on your phone's mail app too, otherwise the phone keeps trying the old one and your account gets locked.
""",
        "views": 75,
    },
    {
        "key": "account-locked",
        "language": "en",
        "category": "Access > Password",
        "tags": ["account", "locked", "password"],
        "state": "published",
        "title": "Account locked after too many sign-in attempts",
        "summary": "After 10 failed sign-ins your account locks for 30 minutes. Here is how to unlock it sooner.",
        "body": """Your account locks after 10 failed sign-in attempts and unlocks by itself after **30 minutes**.

Common cause: an old password saved on a phone, tablet or second computer keeps trying in the background.

1. Wait 30 minutes, or unlock at once in the password portal (**Unlock account**).
2. Update the saved password on every device that uses your account.
3. If it locks again without you signing in, report an incident: someone else may be trying your account.
""",
        "views": 55,
    },
    {
        "key": "mfa-new-phone",
        "language": "en",
        "category": "Access",
        "tags": ["mfa", "authenticator", "phone"],
        "state": "published",
        "title": "Move multi-factor authentication to a new phone",
        "summary": "Got a new phone? Move the authenticator app before you reset the old one.",
        "body": """1. On your computer, open **https://mysignins.example.com › Security info**.
2. Choose **Add sign-in method › Authenticator app** and scan the QR code with the new phone.
3. Approve the test notification on the new phone.
4. Delete the old phone from the list.

Already wiped the old phone? Call the service desk: we verify your identity and issue a temporary access pass.
""",
        "views": 30,
    },
    {
        "key": "unlock-for-caller",
        "language": "en",
        "category": "Access > Password",
        "tags": ["password", "identity", "agents"],
        "audience": "agents",
        "state": "published",
        "title": "Reset a password for a caller (identity check)",
        "summary": "For agents: verify the caller's identity before unlocking an account or resetting a password.",
        "body": """Never reset a password on a caller's word alone.

1. Call the caller back on the mobile number in the HR system, **not** a number they give you.
2. Ask for their employee number and manager's name.
3. In the admin console: **Users › (user) › Reset password**, tick *must change at next sign-in*.
4. Read the temporary password to the caller; never e-mail it.
5. Record "identity verified by call-back" in the work notes.

Suspicious call? Do not reset; raise a security incident.
""",
        "views": 40,
    },
    {
        "key": "vpn-connect",
        "language": "en",
        "category": "Network > VPN",
        "tags": ["vpn", "remote work", "globalprotect"],
        "state": "published",
        "title": "Connect to the company VPN from home",
        "summary": "Use the GlobalProtect VPN to reach internal systems when you work from home or travel.",
        "body": """The VPN (GlobalProtect) gives you a secure connection to internal systems from anywhere.

## Connect to the VPN
1. Click the GlobalProtect globe in the taskbar.
2. Enter the portal address `vpn.example.com` the first time.
3. Sign in with your usual account and approve the MFA request.
4. The globe turns solid when the VPN is connected.

## Good to know
- The VPN is not needed for e-mail, Teams or the intranet: only for internal file shares and business systems.
- Disconnect the VPN when you do not need it; video calls are smoother without it.
- Hotel or guest networks sometimes block the VPN: try your phone's hotspot.
""",
        "v2": {
            "note": "Added the reconnect step after sleep.",
            "body": """The VPN (GlobalProtect) gives you a secure connection to internal systems from anywhere.

## Connect to the VPN
1. Click the GlobalProtect globe in the taskbar.
2. Enter the portal address `vpn.example.com` the first time.
3. Sign in with your usual account and approve the MFA request.
4. The globe turns solid when the VPN is connected.

## After sleep or a network change
The VPN reconnects by itself within a minute. If it does not, click the globe and choose **Connect**.

## Good to know
- The VPN is not needed for e-mail, Teams or the intranet: only for internal file shares and business systems.
- Disconnect the VPN when you do not need it; video calls are smoother without it.
- Hotel or guest networks sometimes block the VPN: try your phone's hotspot.
""",
        },
        "views": 150,
    },
    {
        "key": "vpn-drops",
        "language": "en",
        "category": "Network > VPN",
        "tags": ["remote work", "connection"],
        "state": "published",
        "title": "Remote connection drops every few minutes",
        "summary": "Your connection to internal systems keeps dropping when you work from home.",
        "body": """Usually the home network, not the VPN itself, is the cause.

1. Move closer to your router, or use a network cable.
2. Restart the router (unplug it for 30 seconds).
3. Check that your laptop is on the latest GlobalProtect version (**About** in the client).
4. Still dropping? Run **Collect logs** in the client and attach the file to an incident.
""",
        "views": 45,
    },
    {
        "key": "vpn-anyconnect",
        "language": "en",
        "category": "Network > VPN",
        "tags": ["vpn", "anyconnect"],
        "state": "retired",
        "title": "Install the Cisco AnyConnect VPN client",
        "summary": "Replaced by GlobalProtect in 2024.",
        "body": """Download AnyConnect from the software centre and connect to `asa.example.com`.

*This client was replaced by GlobalProtect.*
""",
        "views": 12,
    },
    {
        "key": "wifi-guest",
        "language": "en",
        "category": "Network > Wi-Fi",
        "tags": ["wi-fi", "wifi", "guest", "visitor"],
        "state": "published",
        "title": "Give a visitor access to guest Wi-Fi",
        "summary": "Visitors use the Guest network with a code valid for one day.",
        "body": """1. Ask reception for a guest code, or create one at **https://guest.example.com** (valid 24 hours).
2. The visitor joins the Wi-Fi network **Guest** and enters the code.

The guest network reaches the internet only, never internal systems.
""",
        "views": 25,
    },
    {
        "key": "wifi-corp",
        "language": "en",
        "category": "Network > Wi-Fi",
        "tags": ["wi-fi", "wifi", "laptop"],
        "state": "published",
        "title": "Connect your laptop to the office Wi-Fi",
        "summary": "Company laptops join the Corp network automatically; here is what to do when they do not.",
        "body": """Company laptops connect to **Corp** automatically with a certificate; you never type a password.

If the laptop does not connect:
1. Choose **Corp** in the network list and click **Connect**.
2. Restart the laptop while connected to a network cable or the VPN, so that it renews its certificate.
3. Private phones and tablets use **Guest**, not Corp.
""",
        "views": 33,
    },
    {
        "key": "shared-mailbox",
        "language": "en",
        "category": "Software > E-mail",
        "tags": ["outlook", "shared mailbox", "e-mail"],
        "state": "published",
        "title": "Open a shared mailbox in Outlook",
        "summary": "Shared mailboxes you have access to appear in Outlook by themselves within an hour.",
        "body": """When you are given access to a shared mailbox (for example *invoices@*), it appears in Outlook's folder list **within an hour**.

Not there?
1. Restart Outlook.
2. In Outlook on the web: right-click **Folders › Add shared folder or mailbox**.
3. To send from it, choose **From › Other e-mail address** in a new message.

Access is requested by the mailbox owner, see *Request access to a SharePoint site or shared mailbox*.
""",
        "views": 48,
    },
    {
        "key": "out-of-office",
        "language": "en",
        "category": "Software > E-mail",
        "tags": ["outlook", "automatic reply", "vacation"],
        "state": "published",
        "title": "Set an automatic reply (out of office)",
        "summary": "Tell people you are away, with separate messages for colleagues and external senders.",
        "body": """1. In Outlook choose **File › Automatic Replies**.
2. Select **Send automatic replies** and set the start and end time.
3. Write one message for **Inside My Organization** and one for **Outside**.
4. Click **OK**. The reply stops by itself at the end time.

On your phone: Outlook app › **Settings › (account) › Automatic replies**.
""",
        "views": 52,
    },
    {
        "key": "mailbox-full",
        "language": "en",
        "category": "Software > E-mail",
        "tags": ["outlook", "mailbox", "archive"],
        "state": "published",
        "review_due": True,
        "title": "Mailbox almost full: archive old e-mail",
        "summary": "Your mailbox is close to its 50 GB limit. Archive or delete old e-mail before sending stops.",
        "body": """At 49 GB you get a warning; at 50 GB you can no longer send.

1. Empty **Deleted Items** and **Junk Email**.
2. Sort by size (**View › Arrange by Size**) and delete large attachments you no longer need.
3. Your **Online Archive** has unlimited space: drag old folders there.

Archiving is instant and the mail stays searchable.
""",
        "views": 20,
    },
    {
        "key": "phishing",
        "language": "en",
        "category": "Software > E-mail",
        "tags": ["phishing", "security", "e-mail"],
        "state": "published",
        "title": "Report a suspicious e-mail (phishing)",
        "summary": "Do not click links in an unexpected e-mail. Report it with the Report button in Outlook.",
        "body": """Signs of phishing: urgency, a sender address that does not match the name, links to unusual addresses, requests for your password.

1. Do **not** click links or open attachments.
2. Select the message and click **Report › Phishing** in Outlook.
3. Clicked already or typed your password? Change your password at once and call the service desk.

We never ask for your password by e-mail.
""",
        "views": 38,
    },
    {
        "key": "teams-audio",
        "language": "en",
        "category": "Software > Application",
        "tags": ["teams", "audio", "headset"],
        "state": "published",
        "title": "No sound in Teams meetings",
        "summary": "Others cannot hear you, or you cannot hear them: check the device settings in Teams.",
        "body": """1. In the meeting, click **More › Settings › Device settings**.
2. Choose your headset as **Speaker** and **Microphone**.
3. Check that the headset's own mute button is off.
4. Use **Make a test call** (Settings › Devices) to hear yourself.

USB headset not listed? Plug it into another port and restart Teams.
""",
        "views": 65,
    },
    {
        "key": "laptop-slow",
        "language": "en",
        "category": "Hardware > PC",
        "tags": ["laptop", "performance"],
        "state": "published",
        "title": "Laptop is slow: checks before you call",
        "summary": "Five quick checks that fix most slow laptops.",
        "body": """1. **Restart** (not just close the lid): updates finish and memory is freed.
2. Close browser tabs you do not need; each one uses memory.
3. Check free disk space: at least 10 GB should be free.
4. Run **Software Center › Updates › Install all**.
5. Plug in the charger: on battery saver the laptop runs slower.

Still slow after all five? Report an incident and tell us what you were doing when it was slow.
""",
        "views": 70,
    },
    {
        "key": "docking-monitors",
        "language": "en",
        "category": "Hardware > PC",
        "tags": ["monitor", "docking station"],
        "state": "published",
        "title": "External monitors not detected on the docking station",
        "summary": "Screens stay black when you dock the laptop.",
        "body": """1. Undock, wait ten seconds and dock again.
2. Check that the monitors are switched on and set to the right input (DisplayPort).
3. Press **Windows + P** and choose **Extend**.
4. Update the dock's firmware from Software Center (*Dock firmware*).
""",
        "views": 30,
    },
    {
        "key": "software-request",
        "language": "en",
        "category": "Software > Application",
        "tags": ["software", "request", "licence"],
        "state": "published",
        "title": "Request new software",
        "summary": "Free and licensed software is installed from Software Center or requested in the portal.",
        "body": """1. Look in **Software Center** first: everything there installs without approval.
2. Not there? Request it in the portal under **Request a service › Software**.
3. Licensed software needs your manager's approval; you are told when it is installed.
""",
        "views": 26,
    },
    {
        "key": "major-incident-checklist",
        "language": "en",
        "category": None,
        "tags": ["major incident", "checklist", "agents"],
        "audience": "agents",
        "state": "published",
        "title": "Major incident: the first 15 minutes",
        "summary": "For agents: what to do when many users report the same outage.",
        "body": """1. **Propose a major incident** on the first incident; the incident manager decides.
2. Link new calls about the same outage as children instead of creating duplicates.
3. Post a short status for the portal banner: what is affected, since when, next update time.
4. Page the resolver group on call; note the time of the page.
5. Keep the caller-facing updates on the cadence the incident manager sets (default 30 minutes).
""",
        "views": 18,
    },
    {
        "key": "onboarding-laptop",
        "language": "en",
        "category": "HR > Onboarding",
        "tags": ["onboarding", "new starter"],
        "state": "review",
        "title": "New starter: laptop and accounts on day one",
        "summary": "What a new colleague gets on the first day, and how managers order it.",
        "body": """Managers order equipment at least **five working days** before the start date in the portal (*New starter*).

On day one the new colleague receives:
- a laptop with their account set up,
- a temporary password, handed over in person,
- access to the shared mailboxes and sites the manager listed.
""",
        "views": 0,
    },
    {
        "key": "bitlocker",
        "language": "en",
        "category": "Hardware > PC",
        "tags": ["bitlocker", "recovery key"],
        "state": "draft",
        "title": "BitLocker asks for a recovery key at start-up",
        "summary": "The laptop asks for a 48-digit recovery key after a BIOS update or hardware change.",
        "body": """Find the key at **https://myaccount.example.com › Devices › (laptop) › View BitLocker keys**.

TODO: screenshots, and what to do when the key is not listed.
""",
        "views": 0,
    },
    {
        "key": "windows7-printers",
        "language": "en",
        "category": "Hardware > Printer",
        "tags": ["printer", "windows 7"],
        "state": "retired",
        "title": "Printer drivers for Windows 7",
        "summary": "Windows 7 is no longer supported.",
        "body": "Install the drivers from `\\\\print01\\drivers\\win7`.\n",
        "views": 5,
    },
    {
        "key": "sharepoint-access",
        "language": "en",
        "category": "Access > Permissions",
        "tags": ["sharepoint", "access", "permissions"],
        "state": "published",
        "title": "Request access to a SharePoint site or shared mailbox",
        "summary": "Access is granted by the owner of the site or mailbox, not by the service desk.",
        "body": """1. Open the link to the site; on the *You need access* page click **Request access** and write why.
2. The site owner approves; you get an e-mail.
3. Do not know the owner? Ask the service desk: we look it up and forward your request.
""",
        "revision": {
            "note": "Mention that shared mailboxes follow the same route.",
            "body": """1. Open the link to the site; on the *You need access* page click **Request access** and write why.
2. The site owner approves; you get an e-mail.
3. For a **shared mailbox**, ask the mailbox owner to add you in the portal (*Mailbox access*).
4. Do not know the owner? Ask the service desk: we look it up and forward your request.
""",
            "submit": True,
        },
        "views": 24,
    },
    {
        "key": "android-mail",
        "language": "en",
        "category": "Software > E-mail",
        "tags": ["e-mail", "android", "phone"],
        "state": "draft",
        "title": "Set up e-mail on an Android phone",
        "summary": "Install the Outlook app and sign in with your work account.",
        "body": """1. Install **Outlook** from Google Play.
2. Sign in with your work e-mail and approve the MFA request.
3. Allow the app to manage the work profile when asked.
""",
        "views": 0,
    },
    # --- Svenska --------------------------------------------------------------------------------
    {
        "key": "sv-printer-offline",
        "language": "sv",
        "category": "Hardware > Printer",
        "tags": ["skrivare", "offline", "utskrift"],
        "state": "published",
        "title": "Skrivaren visas som offline",
        "summary": "Windows visar skrivaren som offline och utskrifterna fastnar i kön. Så får du igång skrivaren igen.",
        "body": """När skrivaren är **offline** når Windows den inte, och dokumenten väntar i utskriftskön.

## Kontrollera skrivaren
1. Se till att skrivaren är påslagen och inte visar något fel i displayen.
2. Kontrollera att nätverkskabeln sitter i ordentligt.
3. Notera skrivarens namn på etiketten på framsidan, till exempel `PRN-STO-0412`.

## Gör skrivaren tillgänglig igen i Windows
1. Öppna **Inställningar › Bluetooth och enheter › Skrivare och skannrar**.
2. Välj skrivaren och **Öppna utskriftskön**.
3. Öppna menyn **Skrivare** och avmarkera **Använd skrivaren offline**.
4. Avbryt utskrifter som har fastnat och skriv ut igen.

Är skrivaren fortfarande offline? Starta om datorn, så ansluter den till utskriftsservern igen. Hjälper inte det, anmäl en incident och ange skrivarens namn.
""",
        "views": 90,
    },
    {
        "key": "sv-toner",
        "language": "sv",
        "category": "Hardware > Printer",
        "tags": ["toner"],
        "state": "published",
        "title": "Byt tonerkassett",
        "summary": "Tonern är slut eller nästan slut. Reservkassetter finns i materialskåpet på varje våning.",
        "body": """1. Hämta en ny kassett av rätt modell i materialskåpet (modellen står innanför frontluckan).
2. Öppna frontluckan och dra ut den gamla kassetten.
3. Skaka den nya kassetten försiktigt, ta bort skyddsremsan och tryck in den tills det klickar.
4. Stäng luckan och lägg den gamla kassetten i återvinningslådan.
""",
        "views": 20,
    },
    {
        "key": "sv-password-reset",
        "language": "sv",
        "category": "Access > Password",
        "tags": ["lösenord", "konto", "självservice"],
        "state": "published",
        "title": "Återställ ditt lösenord",
        "summary": "Har du glömt ditt lösenord? Återställ det själv i lösenordsportalen, dygnet runt.",
        "body": """Du kan själv återställa ditt lösenord på **https://password.example.com**.

1. Öppna lösenordsportalen och ange ditt användarnamn.
2. Bekräfta med koden som skickas till din registrerade mobil.
3. Välj ett nytt lösenord: minst 12 tecken. En kort mening är lätt att komma ihåg.
4. Logga in igen på datorn och mobilen med det nya lösenordet.

Det gamla lösenordet slutar fungera överallt direkt, även för e-posten i mobilen.
""",
        "v2": {
            "note": "Verifiering sker nu med autentiseringsappen.",
            "body": """Du kan själv återställa ditt lösenord på **https://password.example.com**.

1. Öppna lösenordsportalen och ange ditt användarnamn.
2. Godkänn inloggningen i **autentiseringsappen** i mobilen.
3. Välj ett nytt lösenord: minst 12 tecken. En kort mening är lätt att komma ihåg.
4. Logga in igen på datorn och mobilen med det nya lösenordet.

Det gamla lösenordet slutar fungera överallt direkt, även för e-posten i mobilen.

## Har du inte tillgång till appen?
Ring servicedesken. Vi kontrollerar din identitet och återställer lösenordet åt dig.
""",
        },
        "views": 110,
    },
    {
        "key": "sv-password-expired",
        "language": "sv",
        "category": "Access > Password",
        "tags": ["lösenord", "utgånget"],
        "state": "published",
        "title": "Ditt lösenord har gått ut",
        "summary": "Lösenord gäller i 180 dagar. Byt i tid så slipper du bli utelåst.",
        "body": """Du får en påminnelse via e-post 14 dagar innan lösenordet går ut.

- **Innan det går ut:** tryck **Ctrl + Alt + Del › Ändra lösenord** på kontorsdatorn.
- **Redan utgånget:** sätt ett nytt i lösenordsportalen, se *Återställ ditt lösenord*.

Uppdatera sedan lösenordet i e-postappen i mobilen, annars låses kontot.
""",
        "views": 40,
    },
    {
        "key": "sv-account-locked",
        "language": "sv",
        "category": "Access > Password",
        "tags": ["konto", "låst"],
        "state": "published",
        "title": "Kontot är låst efter för många inloggningsförsök",
        "summary": "Efter 10 misslyckade inloggningar låses kontot i 30 minuter.",
        "body": """Kontot låses efter 10 misslyckade försök och låses upp automatiskt efter **30 minuter**.

Vanlig orsak: ett gammalt sparat lösenord i en mobil eller surfplatta som försöker logga in i bakgrunden.

1. Vänta 30 minuter, eller lås upp direkt i lösenordsportalen (**Lås upp konto**).
2. Uppdatera det sparade lösenordet i alla enheter.
""",
        "views": 30,
    },
    {
        "key": "sv-mfa",
        "language": "sv",
        "category": "Access",
        "tags": ["tvåstegsverifiering", "mobil"],
        "state": "published",
        "title": "Flytta tvåstegsverifiering till en ny telefon",
        "summary": "Ny mobil? Flytta autentiseringsappen innan du återställer den gamla.",
        "body": """1. Öppna **https://mysignins.example.com › Säkerhetsinformation** på datorn.
2. Välj **Lägg till inloggningsmetod › Autentiseringsapp** och skanna QR-koden med den nya mobilen.
3. Godkänn testnotisen i den nya mobilen och ta bort den gamla ur listan.
""",
        "views": 15,
    },
    {
        "key": "sv-vpn",
        "language": "sv",
        "category": "Network > VPN",
        "tags": ["vpn", "distansarbete"],
        "state": "published",
        "title": "Anslut till företagets VPN hemifrån",
        "summary": "Använd VPN-klienten GlobalProtect för att nå interna system när du arbetar hemifrån.",
        "body": """Med VPN (GlobalProtect) får du en säker anslutning till interna system var du än är.

1. Klicka på GlobalProtect-globen i aktivitetsfältet.
2. Ange portaladressen `vpn.example.com` första gången.
3. Logga in med ditt vanliga konto och godkänn i autentiseringsappen.
4. Globen blir fylld när VPN är anslutet.

VPN behövs inte för e-post, Teams eller intranätet, bara för filserver och verksamhetssystem.
""",
        "views": 60,
    },
    {
        "key": "sv-vpn-slow",
        "language": "sv",
        "category": "Network > VPN",
        "tags": ["distansarbete", "långsamt"],
        "state": "published",
        "title": "Anslutningen hemifrån är långsam",
        "summary": "Det går trögt att nå filservern hemifrån.",
        "body": """1. Koppla ner VPN när du inte behöver det; videomöten går bättre utan.
2. Använd nätverkskabel eller sitt närmare routern.
3. Starta om routern hemma.
""",
        "views": 18,
    },
    {
        "key": "sv-wifi-guest",
        "language": "sv",
        "category": "Network > Wi-Fi",
        "tags": ["wi-fi", "wifi", "gäst", "besökare"],
        "state": "published",
        "title": "Ge en besökare tillgång till gästnätet",
        "summary": "Besökare använder nätverket Guest med en kod som gäller ett dygn.",
        "body": """1. Be receptionen om en gästkod, eller skapa en på **https://guest.example.com**.
2. Besökaren ansluter till nätverket **Guest** och anger koden.

Gästnätet når bara internet, aldrig interna system.
""",
        "views": 12,
    },
    {
        "key": "sv-shared-mailbox",
        "language": "sv",
        "category": "Software > E-mail",
        "tags": ["outlook", "delad brevlåda", "e-post"],
        "state": "published",
        "title": "Öppna en delad brevlåda i Outlook",
        "summary": "Delade brevlådor du har behörighet till dyker upp i Outlook inom en timme.",
        "body": """När du får behörighet till en delad brevlåda (till exempel *faktura@*) visas den i Outlook **inom en timme**.

Syns den inte?
1. Starta om Outlook.
2. I Outlook på webben: högerklicka på **Mappar › Lägg till delad mapp eller brevlåda**.
3. För att skicka från den: välj **Från › Annan e-postadress** i ett nytt meddelande.
""",
        "views": 22,
    },
    {
        "key": "sv-out-of-office",
        "language": "sv",
        "category": "Software > E-mail",
        "tags": ["outlook", "autosvar", "semester"],
        "state": "published",
        "title": "Ställ in autosvar (frånvaromeddelande)",
        "summary": "Berätta att du är borta, med olika meddelanden för kollegor och externa avsändare.",
        "body": """1. Välj **Arkiv › Automatiska svar** i Outlook.
2. Välj **Skicka automatiska svar** och ange start- och sluttid.
3. Skriv ett meddelande för **Inom organisationen** och ett för **Utanför**.
4. Klicka på **OK**. Autosvaret slutar av sig självt vid sluttiden.
""",
        "views": 35,
    },
    {
        "key": "sv-phishing",
        "language": "sv",
        "category": "Software > E-mail",
        "tags": ["nätfiske", "säkerhet"],
        "state": "published",
        "title": "Rapportera ett misstänkt e-postmeddelande (nätfiske)",
        "summary": "Klicka inte på länkar i oväntade meddelanden. Rapportera med knappen Rapportera i Outlook.",
        "body": """Tecken på nätfiske: brådska, avsändaradress som inte stämmer med namnet, länkar till ovanliga adresser, frågor om ditt lösenord.

1. Klicka **inte** på länkar och öppna inga bilagor.
2. Markera meddelandet och klicka **Rapportera › Nätfiske** i Outlook.
3. Har du redan klickat eller skrivit ditt lösenord? Byt lösenord direkt och ring servicedesken.
""",
        "views": 25,
    },
    {
        "key": "sv-teams-audio",
        "language": "sv",
        "category": "Software > Application",
        "tags": ["teams", "ljud", "headset"],
        "state": "published",
        "title": "Inget ljud i Teams-möten",
        "summary": "Andra hör dig inte, eller du hör inte dem: kontrollera enhetsinställningarna i Teams.",
        "body": """1. Klicka på **Mer › Inställningar › Enhetsinställningar** i mötet.
2. Välj ditt headset som **Högtalare** och **Mikrofon**.
3. Kontrollera att headsetets egen mute-knapp är av.
4. Gör ett **testsamtal** (Inställningar › Enheter) för att höra dig själv.
""",
        "views": 40,
    },
    {
        "key": "sv-laptop-slow",
        "language": "sv",
        "category": "Hardware > PC",
        "tags": ["dator", "prestanda"],
        "state": "published",
        "title": "Datorn är långsam – kontrollera detta först",
        "summary": "Fem snabba kontroller som löser de flesta problem med långsamma datorer.",
        "body": """1. **Starta om** datorn (stäng inte bara locket).
2. Stäng flikar i webbläsaren som du inte behöver.
3. Kontrollera att minst 10 GB diskutrymme är ledigt.
4. Installera alla uppdateringar i **Software Center**.
5. Anslut laddaren: i energisparläge går datorn långsammare.
""",
        "views": 45,
    },
    {
        "key": "sv-docking",
        "language": "sv",
        "category": "Hardware > PC",
        "tags": ["skärm", "dockningsstation"],
        "state": "published",
        "title": "Skärmarna fungerar inte i dockningsstationen",
        "summary": "Skärmarna förblir svarta när du dockar datorn.",
        "body": """1. Docka ur, vänta tio sekunder och docka igen.
2. Kontrollera att skärmarna är på och har rätt ingång (DisplayPort).
3. Tryck **Windows + P** och välj **Utöka**.
""",
        "views": 16,
    },
    {
        "key": "sv-mailbox-full",
        "language": "sv",
        "category": "Software > E-mail",
        "tags": ["brevlåda", "arkiv"],
        "state": "published",
        "review_due": True,
        "title": "Brevlådan är nästan full",
        "summary": "Brevlådan närmar sig gränsen på 50 GB. Arkivera eller radera gammal e-post.",
        "body": """Vid 49 GB får du en varning; vid 50 GB kan du inte längre skicka.

1. Töm **Borttagna objekt** och **Skräppost**.
2. Sortera efter storlek och ta bort stora bilagor du inte behöver.
3. Flytta gamla mappar till **Onlinearkiv**, där utrymmet är obegränsat.
""",
        "views": 10,
    },
    {
        "key": "sv-payslip",
        "language": "sv",
        "category": "HR > Payroll",
        "tags": ["lön", "lönespecifikation"],
        "state": "published",
        "title": "Hitta din lönespecifikation",
        "summary": "Lönespecifikationen publiceras i HR-portalen tre dagar före löneutbetalningen.",
        "body": """1. Logga in i **HR-portalen**.
2. Välj **Lön › Lönespecifikationer**.
3. Ladda ner som PDF om du behöver skicka den vidare, till exempel till banken.

Frågor om beloppet? Anmäl ett ärende till HR Service Desk.
""",
        "views": 50,
    },
    {
        "key": "sv-payroll-agents",
        "language": "sv",
        "category": "HR > Payroll",
        "tags": ["lön", "lönekörning", "handläggare"],
        "audience": "agents",
        "state": "published",
        "title": "Lönekörning: felsök avvikelser (för handläggare)",
        "summary": "För handläggare: kontroller när en anställd anmäler fel belopp på lönen.",
        "body": """1. Jämför lönespecifikationen med frånvaron i tidrapporteringen för perioden.
2. Kontrollera att ändrad månadslön har attesterats före brytdatum den 10:e.
3. Retroaktiva rättelser läggs på nästa lönekörning; informera den anställde om datumet.
4. Belopp över 5 000 kr: eskalera till gruppen Payroll för extra utbetalning.
""",
        "views": 14,
    },
    {
        "key": "sv-sick-leave",
        "language": "sv",
        "category": "HR",
        "tags": ["sjukfrånvaro", "frånvaro"],
        "state": "published",
        "title": "Anmäl sjukfrånvaro",
        "summary": "Anmäl sjukdom till din chef och i HR-portalen första dagen.",
        "body": """1. Meddela din chef före arbetsdagens början.
2. Registrera frånvaron i **HR-portalen › Frånvaro › Sjuk**.
3. Från dag 8 behövs läkarintyg; ladda upp det i HR-portalen.
""",
        "views": 28,
    },
    {
        "key": "sv-vacation",
        "language": "sv",
        "category": "HR",
        "tags": ["semester", "ledighet"],
        "state": "published",
        "review_due": True,
        "title": "Ansök om semester",
        "summary": "Semester söks i HR-portalen och godkänns av din chef.",
        "body": """1. Välj **HR-portalen › Frånvaro › Semester** och ange datum.
2. Din chef godkänner ansökan; du får besked via e-post.
3. Sommarsemester söks senast den 31 mars.
""",
        "views": 33,
    },
    {
        "key": "sv-onboarding",
        "language": "sv",
        "category": "HR > Onboarding",
        "tags": ["introduktion", "nyanställd"],
        "state": "review",
        "title": "Ny medarbetare: dator och konton första dagen",
        "summary": "Det här får en ny kollega första dagen, och så beställer chefen det.",
        "body": """Chefen beställer utrustning senast **fem arbetsdagar** före startdatum i portalen (*Ny medarbetare*).

Första dagen får den nya kollegan en dator med kontot klart och ett tillfälligt lösenord som lämnas över personligen.
""",
        "views": 0,
    },
    {
        "key": "sv-folder-access",
        "language": "sv",
        "category": "Access > Permissions",
        "tags": ["behörighet", "mapp"],
        "state": "review",
        "title": "Begär behörighet till en gemensam mapp",
        "summary": "Behörighet till gemensamma mappar godkänns av mappens ägare.",
        "body": """1. Beställ behörighet i portalen under **Beställ › Behörighet › Gemensam mapp**.
2. Ange sökvägen, till exempel `\\\\filer01\\ekonomi`.
3. Mappens ägare godkänner; behörigheten gäller efter nästa inloggning.
""",
        "views": 0,
    },
    {
        "key": "sv-scan",
        "language": "sv",
        "category": "Hardware > Printer",
        "tags": ["skanna", "multifunktionsskrivare"],
        "state": "draft",
        "title": "Skanna till e-post från multifunktionsskrivaren",
        "summary": "Skanna ett dokument och få det som PDF i din inkorg.",
        "body": """1. Blippa ditt passerkort på skrivaren.
2. Välj **Skanna till mig**.

ATT GÖRA: bilder på displayen.
""",
        "views": 0,
    },
    {
        "key": "sv-notes",
        "language": "sv",
        "category": "Software > E-mail",
        "tags": ["lotus notes", "arkiv"],
        "state": "retired",
        "title": "Lotus Notes: arkivera e-post",
        "summary": "Lotus Notes har ersatts av Outlook.",
        "body": "Välj **Arkiv › Arkivera** i Lotus Notes.\n",
        "views": 4,
    },
]
