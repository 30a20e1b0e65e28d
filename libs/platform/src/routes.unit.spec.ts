import { RouteTable } from './routes';

describe('RouteTable', () => {
  const table = new RouteTable();
  table.add('GET', '/v1/licenses');
  table.add('POST', '/v1/licenses');
  table.add('GET', '/v1/licenses/:id');
  table.add('POST', '/v1/licenses/:id/activation');
  table.add('GET', '/docs/*');

  it('lists the methods a concrete path is served with, HEAD with every GET', () => {
    expect(table.allowedMethods('/v1/licenses')).toEqual(['GET', 'HEAD', 'POST']);
    expect(table.allowedMethods('/v1/licenses/7f1c?x=1')).toEqual(['GET', 'HEAD']);
    expect(table.allowedMethods('/v1/licenses/7f1c/activation')).toEqual(['POST']);
    expect(table.allowedMethods('/docs/swagger-ui.css')).toEqual(['GET', 'HEAD']);
  });

  it('knows no method for a path no route matches', () => {
    expect(table.allowedMethods('/v1/nothing')).toEqual([]);
    expect(table.allowedMethods('/v1/licenses/')).toEqual([]);
    expect(table.allowedMethods('/v1/licenses/a/b')).toEqual([]);
    expect(table.allowedMethods('/v1/licenses.json')).toEqual([]);
  });
});
