// Login: where the server has users, the page asks for a login (a session
// cookie, and the CSRF token the page sends on writes); under --demo it
// works anonymously and a login shows the restricted layers.
import { api } from './api.js';

export function setupLogin(ctx) {
  const { me } = ctx;
  const dlg = document.getElementById('login');
  const btn = document.getElementById('login-btn');
  const who = document.getElementById('who');
  const msg = document.getElementById('login-msg');
  if (me.authenticated) {
    who.textContent = `${me.name}（${(me.roles || []).join('、')}）`;
    btn.textContent = '退出';
  } else {
    who.textContent = me.demo ? '演示模式（匿名）' : '未登录';
  }
  btn.addEventListener('click', async () => {
    if (me.authenticated) {
      await api('/api/v1/logout', { method: 'POST' }).catch(() => {});
      location.reload();
      return;
    }
    msg.textContent = '';
    dlg.showModal();
  });
  document.getElementById('login-cancel').addEventListener('click', () => dlg.close());
  document.getElementById('login-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await api('/api/v1/login', { method: 'POST', body: { user: document.getElementById('login-user').value, password: document.getElementById('login-pass').value } });
      location.reload(); // the style and the catalogue now show what the user may see
    } catch (err) {
      msg.textContent = err.status === 401 ? '用户名或密码错误' : `登录失败：${err.message}`;
    }
  });
  // Where auth is configured and the demo is off, anonymous callers see
  // the public layers only: ask for a login.
  if (!me.demo && !me.authenticated && me.via !== 'disabled') dlg.showModal();
}
