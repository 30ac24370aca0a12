#!/usr/bin/env python3
"""Clinic's triage against a real Phorge (../shared/tools/phorge/up.sh), not the Conduit fake: for a
person's machine, not for `make test` (CI has no Phorge sources). docs/phabricator-webhook.md,
"Against a real Phorge", says how to run it and what it measured. Reads the state env up.sh writes
(PHORGE_URL, PHORGE_TOKEN_*, PHORGE_PHID_*); expects a project "2027 Q1" (a milestone of #sre) and the
#observability project's additional hashtag "o11y" to exist, and Clinic serving the hook with a
rules file naming `SRE` and `o11y`. Prints what happened to each task as JSON."""
import json, os, sys, time, subprocess, statistics
sys.path.insert(0,'/work/shared/tools/phorge')
from conduit import call
U=os.environ['PHORGE_URL']; REQ=os.environ['PHORGE_TOKEN_requester']; ADM=os.environ['PHORGE_TOKEN_admin']
BOT=os.environ['PHORGE_PHID_clinic_bot']
LONG="Since 01:00 UTC about two percent of requests fail; the graphs show it clearly, details below."
def proj(slug):
    r=call(U,ADM,'project.search',{'constraints':{'slugs':[slug]}})
    return r['maps']['slugMap'][slug]['projectPHID']
def proj_by_name(name):
    r=call(U,ADM,'project.search',{'constraints':{'query':name}})
    return [p['phid'] for p in r['data'] if p['fields']['name']==name][0]
def create(title, tags, view=None, priority=90):
    x=[{'type':'title','value':title},{'type':'description','value':LONG},{'type':'projects.add','value':tags},{'type':'priority','value':str(priority) if False else 'triage'}]
    if view: x.append({'type':'view','value':view})
    r=call(U,REQ,'maniphest.edit',{'transactions':x})
    return r['object']['phid'], time.time()
def xacts(task):
    return call(U,ADM,'transaction.search',{'objectIdentifier':task,'limit':100})['data']
def bot_groups(task):
    # one maniphest.edit = one transaction group
    return sorted({t['groupID'] for t in xacts(task) if t['authorPHID']==BOT})
def tags(task):
    r=call(U,ADM,'maniphest.search',{'constraints':{'phids':[task]},'attachments':{'projects':True}})
    phids=r['data'][0]['attachments']['projects']['projectPHIDs']
    if not phids: return []
    p=call(U,ADM,'project.search',{'constraints':{'phids':phids}})
    return sorted(x['fields']['slug'] or x['fields']['name'] for x in p['data'])
def wait_bot(task, since_groups, timeout=30):
    t0=time.time()
    while time.time()-t0<timeout:
        g=bot_groups(task)
        if len(g)>len(since_groups): return time.time(), g
        time.sleep(0.1)
    return None, bot_groups(task)
lat=[]; report={}
sre=proj('sre'); ms=proj_by_name('2027 Q1')
# 1: o11y by hashtag, SRE by another case
a,t=create('Prometheus alertmanager drops alerts',[sre]); done,g=wait_bot(a,[]); lat.append(done-t if done else None)
report['hashtag']=(tags(a), len(g))
# 2: milestone counts as SRE
b,t=create('Varnish 503s on the text cluster',[ms]); done,g=wait_bot(b,[]); lat.append(done-t if done else None)
report['milestone']=(tags(b), len(g))
# 3: person removes the team tag: no sre-unowned
c,t=create('Varnish keeps restarting',[sre]); done,g=wait_bot(c,[]); lat.append(done-t if done else None)
before=tags(c)
call(U,REQ,'maniphest.edit',{'objectIdentifier':c,'transactions':[{'type':'projects.remove','value':[proj('traffic')]}]})
time.sleep(6)
report['removed']=(before, tags(c), len(bot_groups(c)))
# 4: restricted
d,t=create('Contract renewal for the CDN',[sre],view='users'); done,g=wait_bot(d,[]); lat.append(done-t if done else None)
report['restricted_task']=d
# 5: burst: four comments right after creation
e,t=create('HAProxy errors since the deploy',[sre])
for i in range(4):
    call(U,REQ,'maniphest.edit',{'objectIdentifier':e,'transactions':[{'type':'comment','value':'more detail %d'%i}]})
time.sleep(8)
report['burst']=(tags(e), len(bot_groups(e)))
report['latency_s']=[round(x,2) for x in lat if x]
report['median_latency_s']=round(statistics.median([x for x in lat if x]),2)
print(json.dumps(report, indent=1))
