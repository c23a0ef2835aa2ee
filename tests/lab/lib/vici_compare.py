# Compare oqlink's status JSON with swanctl's raw list-sas, key by key.
import json, re, sys
status = json.load(open(sys.argv[1]))
raw = open(sys.argv[2]).read()

def parse(text):
    """Parse swanctl --raw: name {k=v k=[a b] sub {...}}."""
    toks = re.findall(r'\{|\}|\[[^\]]*\]|[^\s{}=\[\]]+=\[[^\]]*\]|[^\s{}=]+=[^\s{}]*|[^\s{}]+', text)
    stack = [{}]; name = None
    for t in toks:
        if t == '{':
            d = {}; stack[-1][name] = d; stack.append(d)
        elif t == '}':
            stack.pop()
        elif '=' in t:
            k, v = t.split('=', 1)
            stack[-1][k] = v[1:-1].split() if v.startswith('[') else v
        else:
            name = t
    return stack[0]

events = [parse(m[1:-1]) for m in re.findall(r'list-sa event (\{.*\})', raw)]
times = {'established', 'rekey-time', 'reauth-time', 'install-time', 'life-time',
         'use-in', 'use-out'}
bad = []; compared = 0
def same(k, ours, theirs):
    global compared
    compared += 1
    if isinstance(ours, bool):
        ok = ours == (theirs == 'yes')
    elif isinstance(ours, int):
        ok = abs(ours - int(theirs)) <= (2 if k in times else 0)
    else:
        ok = ours == theirs
    if not ok:
        bad.append('%s: oqlink %r, swanctl %r' % (k, ours, theirs))

def cmp(ours, theirs):
    for k, v in theirs.items():
        if isinstance(v, dict):
            continue
        if k not in ours:
            continue        # keys oqlink does not model
        same(k, ours[k], v)
    for k, v in ours.items():   # what swanctl omits must be empty/0/false
        if k not in theirs and k not in ('name', 'child-sas') and v not in (0, False, [], None):
            bad.append('%s: oqlink %r, swanctl has none' % (k, v))

for ev in events:
    for name, ike in ev.items():
        mine = [s for s in status['ike-sas'] if s['name'] == name and
                s['uniqueid'] == int(ike['uniqueid'])]
        if not mine:
            bad.append('IKE_SA %s missing' % name); continue
        cmp(mine[0], ike)
        for cname, child in ike.get('child-sas', {}).items():
            mc = [c for c in mine[0]['child-sas'] if c['uniqueid'] == int(child['uniqueid'])]
            if not mc:
                bad.append('CHILD_SA %s missing' % cname); continue
            cmp(mc[0], child)
n_ours = sum(1 + len(s['child-sas']) for s in status['ike-sas'])
n_theirs = sum(1 + len(ike.get('child-sas', {})) for ev in events for ike in ev.values())
if n_ours != n_theirs:
    bad.append('%d SAs in oqlink, %d in swanctl' % (n_ours, n_theirs))
print('# compared %d fields' % compared)
for b in bad:
    print('# ' + b)
sys.exit(1 if bad or compared < 30 else 0)
