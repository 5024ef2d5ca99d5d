"""The words of `peilian serve`'s sign-in page (the browser's first page, before the app), in Chinese and English."""

WORDS = {
    "en": {
        "title": "Peilian training room",
        "name": "Name",
        "password": "Password",
        "again": "Password again",
        "sign_in": "Sign in",
        "sign_out": "Sign out",
        "choose": "Choose your password",
        "save": "Save and sign in",
        "who": "Sign in with the name and password your team lead set up for you.",
        "invite": "Choose the password you will sign in with (at least 8 characters).",
        "wrong": "Wrong name or password: try again, or ask your team lead to reset your account.",
        "no_accounts": "Nobody can sign in yet: the team lead adds accounts with `peilian users add NAME --role "
        "trainee` (or `--role lead`).",
        "throttled": "Too many wrong passwords from this computer: wait {minutes} minutes, or ask your team lead "
        "to reset the account.",
        "mismatch": "The two passwords differ: type the same password twice.",
        "full": "The training room is full ({n} of {n} sessions in use): try again in a few minutes, or ask your "
        "team lead to start it with a higher --max-sessions.",
        "full_you": "Your account already has all its {n} sessions open: close another tab of yours, then reload "
        "this page.",
        "signed_in_as": "Signed in as {name} ({role}).",
        "foreign": "This request came from another site's page and was refused.",
        "unknown_host": "This server answers only at its own address: open {url}.",
        "not_signed_in": "Sign in first: open this server's address in your browser.",
        "no_invite": "This invite link is incomplete: open the whole link your team lead sent you.",
    },
    "zh": {
        "title": "陪练 训练室",
        "name": "姓名",
        "password": "密码",
        "again": "再输一次密码",
        "sign_in": "登录",
        "sign_out": "退出登录",
        "choose": "设置密码",
        "save": "保存并登录",
        "who": "请用组长为你开设的姓名和密码登录。",
        "invite": "请设置登录密码(至少 8 个字符)。",
        "wrong": "姓名或密码不对:请再试一次,或请组长重置你的账号。",
        "no_accounts": "还没有人能登录:请组长用 `peilian users add 姓名 --role trainee`(或 `--role lead`)开设账号。",
        "throttled": "这台电脑输错密码次数太多:请等 {minutes} 分钟,或请组长重置账号。",
        "mismatch": "两次输入的密码不同:请输入相同的密码。",
        "full": "训练室已满(已用 {n}/{n} 个席位):请过几分钟再试,或请组长用更大的 --max-sessions 启动。",
        "full_you": "你的账号已开满 {n} 个练习窗口:请先关掉其中一个,再刷新本页。",
        "signed_in_as": "已登录:{name}({role})。",
        "foreign": "该请求来自其他网站的页面,已拒绝。",
        "unknown_host": "本服务只在自己的地址上应答:请打开 {url}。",
        "not_signed_in": "请先登录:在浏览器中打开本服务的地址。",
        "no_invite": "邀请链接不完整:请打开组长发给你的完整链接。",
    },
}
